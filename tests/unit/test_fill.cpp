// Initializer kernels: each kind's distribution against its formula, exact
// truncation bounds, and kernel values against the one-element host path.
#include "titan/core/bf16.hpp"
#include "titan/init/fill.hpp"
#include "titan/init/fingerprint.hpp"
#include "titan/init/samplers.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace titan;

namespace {

Mesh single() { return Mesh::resolve(MeshRequest{{1, 1, 1}}, 1); }

// Fills a 1-D parameter of n elements and returns its values as doubles.
std::vector<double> filled(InitSpec const& spec, DType dtype, std::int64_t n, std::uint64_t seed = 7,
                           std::string const& fqn = "t.weight") {
  Parameter p(fqn, {n}, replicated(), dtype, single(), 0);
  p.allocate();
  fill_parameter(p, spec, seed);
  std::vector<double> out(static_cast<std::size_t>(n));
  if (dtype == DType::float32) {
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), p.f32());
    for (std::int64_t i = 0; i < n; ++i) out[i] = h(i);
  } else {
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), p.bf16());
    for (std::int64_t i = 0; i < n; ++i) out[i] = bf16_to_float(h(i));
  }
  return out;
}

struct Moments {
  double mean = 0, std = 0, min = 1e300, max = -1e300;
};

Moments moments(std::vector<double> const& v) {
  Moments m;
  double s = 0, s2 = 0;
  for (double x : v) {
    s += x;
    m.min = std::min(m.min, x);
    m.max = std::max(m.max, x);
  }
  m.mean = s / v.size();
  for (double x : v) s2 += (x - m.mean) * (x - m.mean);
  m.std = std::sqrt(s2 / v.size());
  return m;
}

double phi(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI); }
double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

constexpr std::int64_t N = 1 << 20;

}  // namespace

TEST_CASE("normal: mean and std match the spec within sampling error", "[init]") {
  for (DType dt : {DType::float32, DType::bfloat16}) {
    auto const m = moments(filled(InitSpec::normal(0.5, 2.0), dt, N));
    CHECK(std::fabs(m.mean - 0.5) < 5 * 2.0 / std::sqrt(double(N)));
    CHECK(m.std == Approx(2.0).epsilon(5e-3));
    CHECK(m.min < 0.5 - 4 * 2.0);  // tails are present (P(|z| > 4) ~ 6e-5, ~66 samples)
    CHECK(m.max > 0.5 + 4 * 2.0);
  }
}

TEST_CASE("trunc_normal: moments follow the truncated-normal formulas and bounds are exact", "[init]") {
  double const mu = 0.1, sigma = 1.0, a = -0.5, b = 2.0;
  double const al = (a - mu) / sigma, be = (b - mu) / sigma, Z = Phi(be) - Phi(al);
  double const mean = mu + sigma * (phi(al) - phi(be)) / Z;
  double const var =
      sigma * sigma * (1 + (al * phi(al) - be * phi(be)) / Z - std::pow((phi(al) - phi(be)) / Z, 2));
  for (DType dt : {DType::float32, DType::bfloat16}) {
    auto const m = moments(filled(InitSpec::trunc_normal(mu, sigma, a, b), dt, N));
    CHECK(std::fabs(m.mean - mean) < 5 * std::sqrt(var / N) + (dt == DType::bfloat16 ? 1e-3 : 0));
    CHECK(m.std == Approx(std::sqrt(var)).epsilon(5e-3));
    CHECK(m.min >= a);
    CHECK(m.max <= b);
    CHECK(m.min < a + 0.01);  // the bounds are reached, not merely respected
    CHECK(m.max > b - 0.05);
  }
}

TEST_CASE("trunc_normal with bounds that bfloat16 cannot represent never leaves [a, b]", "[init]") {
  // +-0.03 is not a bfloat16 value; rounding must not push a value past it.
  auto const v = filled(InitSpec::trunc_normal(0.0, 0.02, -0.03, 0.03), DType::bfloat16, N);
  auto const m = moments(v);
  CHECK(m.min >= -0.03);
  CHECK(m.max <= 0.03);
  CHECK(m.max > 0.029);
}

TEST_CASE("Llama3 output init TN(s, +-3s) stays inside +-3s", "[init]") {
  double const s = 1.0 / std::sqrt(4096.0);
  for (DType dt : {DType::float32, DType::bfloat16}) {
    auto const m = moments(filled(InitSpec::trunc_normal(0, s, -3 * s, 3 * s), dt, N));
    CHECK(m.min >= -3 * s);
    CHECK(m.max <= 3 * s);
  }
}

TEST_CASE("uniform: mean (a+b)/2, std (b-a)/sqrt(12), inside [a, b]", "[init]") {
  auto const m = moments(filled(InitSpec::uniform(-1.0, 3.0), DType::float32, N));
  CHECK(std::fabs(m.mean - 1.0) < 5 * (4.0 / std::sqrt(12.0)) / std::sqrt(double(N)));
  CHECK(m.std == Approx(4.0 / std::sqrt(12.0)).epsilon(5e-3));
  CHECK(m.min >= -1.0);
  CHECK(m.max <= 3.0);
  CHECK(m.min < -0.999);
  CHECK(m.max > 2.999);
}

TEST_CASE("ones, zeros, constant fill every element exactly", "[init]") {
  for (DType dt : {DType::float32, DType::bfloat16}) {
    for (auto [spec, value] : {std::pair{InitSpec::ones(), 1.0}, std::pair{InitSpec::zeros(), 0.0},
                               std::pair{InitSpec::constant(-0.25), -0.25}}) {
      auto const m = moments(filled(spec, dt, 4097));
      CHECK(m.min == value);
      CHECK(m.max == value);
    }
  }
}

TEST_CASE("the value depends on seed and FQN", "[init]") {
  auto const a = filled(InitSpec::normal(0, 1), DType::float32, 64, 1, "a.weight");
  auto const b = filled(InitSpec::normal(0, 1), DType::float32, 64, 2, "a.weight");
  auto const c = filled(InitSpec::normal(0, 1), DType::float32, 64, 1, "b.weight");
  auto const a2 = filled(InitSpec::normal(0, 1), DType::float32, 64, 1, "a.weight");
  CHECK(a == a2);
  CHECK(a != b);
  CHECK(a != c);
}

TEST_CASE("a sharded box gets exactly the values of the same global indices", "[init][layout]") {
  // [37, 53] on a 2 x 2 mesh (dp_shard Shard(0), tp Shard(1)): every rank's
  // box must hold, element by element, the host reference value of the
  // element's global index.
  Mesh const mesh = Mesh::resolve(MeshRequest{{2, 1, 2}}, 4);
  Placements pl = replicated();
  pl[dp_shard] = Placement::shard(0);
  pl[tp] = Placement::shard(1);
  InitSpec const spec = InitSpec::trunc_normal(0, 0.02, -0.04, 0.04);
  for (DType dt : {DType::float32, DType::bfloat16}) {
    std::int64_t covered = 0;
    for (int r = 0; r < 4; ++r) {
      Parameter p("layers.0.feed_forward.w2.weight", {37, 53}, pl, dt, mesh, r);
      p.allocate();
      fill_parameter(p, spec, 42);
      Box const& box = p.local_box();
      int mismatches = 0;
      if (dt == DType::float32) {
        auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), p.f32());
        for (std::int64_t i = 0; i < box.extent[0]; ++i)
          for (std::int64_t j = 0; j < box.extent[1]; ++j) {
            std::uint64_t const g = (box.offset[0] + i) * 53 + box.offset[1] + j;
            mismatches += h(i * box.extent[1] + j) != reference_value(spec, 42, p.fqn(), dt, g);
          }
      } else {
        auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), p.bf16());
        for (std::int64_t i = 0; i < box.extent[0]; ++i)
          for (std::int64_t j = 0; j < box.extent[1]; ++j) {
            std::uint64_t const g = (box.offset[0] + i) * 53 + box.offset[1] + j;
            mismatches += bf16_to_float(h(i * box.extent[1] + j)) != reference_value(spec, 42, p.fqn(), dt, g);
          }
      }
      CHECK(mismatches == 0);
      covered += box.numel();
    }
    CHECK(covered == 37 * 53);
  }
}

TEST_CASE("local_stats of shards add up to the stats of the whole tensor", "[init][fingerprint]") {
  Mesh const one = single();
  Mesh const three = Mesh::resolve(MeshRequest{{3, 1, 1}}, 3);
  Placements pl = replicated();
  pl[dp_shard] = Placement::shard(0);
  InitSpec const spec = InitSpec::normal(0, 1);
  Parameter whole("w", {10, 7}, pl, DType::bfloat16, one, 0);
  whole.allocate();
  fill_parameter(whole, spec, 3);
  ValueStats const full = local_stats(whole);
  ValueStats parts = ValueStats::empty();
  for (int r = 0; r < 3; ++r) {
    Parameter p("w", {10, 7}, pl, DType::bfloat16, three, r);
    p.allocate();
    fill_parameter(p, spec, 3);
    parts.merge(local_stats(p));
  }
  CHECK(parts.fingerprint == full.fingerprint);
  CHECK(parts.count == 70);
  CHECK(parts.min == full.min);
  CHECK(parts.max == full.max);
  CHECK(parts.sum == Approx(full.sum).margin(1e-12));
  // An independent recomputation of the fingerprint from the host values.
  auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), whole.bf16());
  std::uint64_t fp = 0;
  for (std::uint64_t i = 0; i < 70; ++i) fp += element_hash(i, h(i));
  CHECK(fp == full.fingerprint);
}

TEST_CASE("bf16 rounding is round-to-nearest-even", "[init]") {
  CHECK(float_to_bf16(1.0f) == 0x3F80);
  // 1 + 2^-8 is exactly half-way between 1 and 1 + 2^-7: ties to even (1.0).
  CHECK(float_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3F80);
  // 1 + 3 * 2^-8 is half-way between 1 + 2^-7 (odd) and 1 + 2^-6: rounds up to even.
  CHECK(float_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3F82);
  CHECK(float_to_bf16(-2.0f) == 0xC000);
}
