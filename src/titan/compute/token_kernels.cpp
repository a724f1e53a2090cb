#include "titan/compute/token_kernels.hpp"

#include "titan/core/math_compat.hpp"
#include "titan/core/bf16.hpp"
#include "titan/init/fingerprint.hpp"

#include <algorithm>
#include <numeric>

namespace titan {

namespace {
using Team = Kokkos::TeamPolicy<ExecSpace>;
using Member = Team::member_type;
using Range = Kokkos::RangePolicy<ExecSpace>;


TokenView to_device(std::vector<std::int64_t> const& v, char const* label) {
  TokenView d(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), v.size());
  auto h = Kokkos::create_mirror_view(d);
  for (std::size_t i = 0; i < v.size(); ++i) h(i) = v[i];
  Kokkos::deep_copy(d, h);
  return d;
}
}  // namespace

void embed_chunk(TokenView tokens, FMat w, std::int64_t v0, FMat x) {
  std::int64_t const n_rows = x.extent(0), D = x.extent(1), rows = w.extent(0);
  if (n_rows == 0) return;
  Kokkos::parallel_for("compute:embedding", Range(0, n_rows * D), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const n = i / D, d = i % D, r = tokens(n) - v0;
    if (r >= 0 && r < rows) x(n, d) = w(r, d);
  });
}

TokenGroups group_tokens(std::vector<std::int64_t> const& tokens) {
  std::vector<std::int64_t> pos(tokens.size());
  std::iota(pos.begin(), pos.end(), 0);
  std::stable_sort(pos.begin(), pos.end(), [&](std::int64_t a, std::int64_t b) { return tokens[a] < tokens[b]; });
  TokenGroups g;
  std::vector<std::int64_t> start;
  for (std::size_t i = 0; i < pos.size(); ++i)
    if (i == 0 || tokens[pos[i]] != tokens[pos[i - 1]]) {
      g.ids_host.push_back(tokens[pos[i]]);
      start.push_back(static_cast<std::int64_t>(i));
    }
  start.push_back(static_cast<std::int64_t>(pos.size()));
  g.ids = to_device(g.ids_host, "tokens:ids");
  g.start = to_device(start, "tokens:start");
  g.pos = to_device(pos, "tokens:pos");
  return g;
}

void embed_chunk_grad(TokenGroups const& g, FMat dx, std::int64_t v0, FMat dw) {
  std::int64_t const D = dx.extent(1), v1 = v0 + static_cast<std::int64_t>(dw.extent(0));
  auto const lo = std::lower_bound(g.ids_host.begin(), g.ids_host.end(), v0);
  auto const hi = std::lower_bound(g.ids_host.begin(), g.ids_host.end(), v1);
  std::int64_t const u0 = lo - g.ids_host.begin(), nu = hi - lo;
  if (nu == 0 || D == 0) return;
  auto ids = g.ids;
  auto start = g.start;
  auto pos = g.pos;
  Kokkos::parallel_for("compute:embedding_grad", Range(0, nu * D), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const u = u0 + i / D, d = i % D;
    float acc = 0;
    for (std::int64_t p = start(u); p < start(u + 1); ++p) acc += dx(pos(p), d);
    dw(ids(u) - v0, d) += acc;
  });
}

std::int64_t count_non_finite(FMat x) {
  std::int64_t const rows = x.extent(0), cols = x.extent(1);
  std::int64_t bad = 0;
  if (rows * cols == 0) return 0;
  Kokkos::parallel_reduce("compute:count_non_finite", Range(0, rows * cols), KOKKOS_LAMBDA(std::int64_t i, std::int64_t& n) {
    float const v = x(i / cols, i % cols);
    if (!(v - v == 0.0f)) ++n;  // NaN - NaN and Inf - Inf are NaN; finite v - v is 0
  }, bad);
  return bad;
}

void copy_columns(FMat src, FMat dst, std::int64_t v0) {
  std::int64_t const n_rows = src.extent(0), cols = src.extent(1);
  if (n_rows * cols == 0) return;
  Kokkos::parallel_for("compute:logits_chunk", Range(0, n_rows * cols), KOKKOS_LAMBDA(std::int64_t i) {
    dst(i / cols, v0 + i % cols) = src(i / cols, i % cols);
  });
}

void slice_columns(FMat src, std::int64_t v0, FMat dst) {
  std::int64_t const n_rows = dst.extent(0), cols = dst.extent(1);
  if (n_rows * cols == 0) return;
  Kokkos::parallel_for("compute:logits_slice", Range(0, n_rows * cols), KOKKOS_LAMBDA(std::int64_t i) {
    dst(i / cols, i % cols) = src(i / cols, v0 + i % cols);
  });
}

double cross_entropy_sum(FMat logits, TokenView tokens, std::int64_t T) {
  std::int64_t const n_rows = logits.extent(0), V = logits.extent(1);
  if (n_rows == 0) return 0.0;
  double total = 0;
  Kokkos::parallel_reduce("compute:cross_entropy", Team(n_rows, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t, double& acc) {
    std::int64_t const n = t.league_rank();
    if (n % T == T - 1) return;  // the last position predicts nothing
    float mx = -3.4e38f;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, V), [&](std::int64_t v, float& m) {
      m = logits(n, v) > m ? logits(n, v) : m;
    }, Kokkos::Max<float>(mx));
    double sum = 0;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, V), [&](std::int64_t v, double& s) {
      s += math::exp(static_cast<double>(logits(n, v)) - mx);
    }, sum);
    Kokkos::single(Kokkos::PerTeam(t), [&]() {
      acc += static_cast<double>(mx) + math::log(sum) - static_cast<double>(logits(n, tokens(n + 1)));
    });
  }, total);
  return total;
}

void cross_entropy_grad(FMat logits, TokenView tokens, std::int64_t T, double scale) {
  std::int64_t const n_rows = logits.extent(0), V = logits.extent(1);
  if (n_rows == 0) return;
  Kokkos::parallel_for("compute:cross_entropy_grad", Team(n_rows, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t) {
    std::int64_t const n = t.league_rank();
    if (n % T == T - 1) {
      Kokkos::parallel_for(Kokkos::TeamThreadRange(t, V), [&](std::int64_t v) { logits(n, v) = 0.0f; });
      return;
    }
    float mx = -3.4e38f;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, V), [&](std::int64_t v, float& m) {
      m = logits(n, v) > m ? logits(n, v) : m;
    }, Kokkos::Max<float>(mx));
    double sum = 0;
    Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, V), [&](std::int64_t v, double& s) {
      s += math::exp(static_cast<double>(logits(n, v)) - mx);
    }, sum);
    std::int64_t const target = tokens(n + 1);
    t.team_barrier();  // every lane has read the row before it is overwritten
    Kokkos::parallel_for(Kokkos::TeamThreadRange(t, V), [&](std::int64_t v) {
      double const p = math::exp(static_cast<double>(logits(n, v)) - mx) / sum;
      logits(n, v) = static_cast<float>((p - (v == target ? 1.0 : 0.0)) * scale);
    });
  });
}

std::uint64_t logits_fingerprint(FMat logits, std::uint64_t first_index) {
  std::int64_t const total = static_cast<std::int64_t>(logits.extent(0)) * logits.extent(1);
  float const* p = logits.data();
  std::uint64_t fp = 0;
  if (total == 0) return 0;
  Kokkos::parallel_reduce("compute:logits_fingerprint", Range(0, total), KOKKOS_LAMBDA(std::int64_t i, std::uint64_t& acc) {
    acc += element_hash(first_index + static_cast<std::uint64_t>(i), float_bits(p[i]));
  }, fp);
  return fp;
}

}  // namespace titan
