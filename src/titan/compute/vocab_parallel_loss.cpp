#include "titan/compute/vocab_parallel_loss.hpp"

#include "titan/compute/mpi_on_buffers.hpp"
#include "titan/core/math_compat.hpp"
#include "titan/core/bf16.hpp"
#include "titan/init/fingerprint.hpp"
#include "titan/parallel/collective.hpp"

#include <climits>
#include <stdexcept>
#include <string>
#include <vector>

namespace titan {

namespace {
using Team = Kokkos::TeamPolicy<ExecSpace>;
using Member = Team::member_type;
using Range = Kokkos::RangePolicy<ExecSpace>;
using DVec = Kokkos::View<double*, Layout, MemSpace>;


// `v` reduced over `comm` in place (device pointers or staged: mpi_on_buffers.hpp).
void all_reduce(DVec v, MPI_Op op, MPI_Comm comm, bool device_pointers) {
  if (v.extent(0) > static_cast<std::size_t>(INT_MAX)) throw std::runtime_error("vocabulary-parallel loss: too many rows");
  std::int64_t const n = static_cast<std::int64_t>(v.extent(0));
  std::vector<double> stage;
  mpi_on_buffers(device_pointers, v.data(), n, v.data(), n, stage, [&](double const*, double* r) {
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, r, static_cast<int>(n), MPI_DOUBLE, op, comm));
  });
}
}  // namespace

VocabRowStats vocab_row_stats(FMat logits, TokenView tokens, std::int64_t T, std::int64_t v0, MPI_Comm tp,
                              bool device_pointers) {
  std::int64_t const n_rows = logits.extent(0), V = logits.extent(1);
  VocabRowStats s{DVec("loss:max", n_rows), DVec("loss:sum_exp", n_rows), DVec("loss:target", n_rows)};
  DVec mx = s.max, se = s.sum_exp, tg = s.target;
  if (n_rows > 0)
    Kokkos::parallel_for("compute:vocab_row_max", Team(n_rows, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t) {
      std::int64_t const n = t.league_rank();
      float m = -3.4e38f;
      Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, V), [&](std::int64_t v, float& a) {
        a = logits(n, v) > a ? logits(n, v) : a;
      }, Kokkos::Max<float>(m));
      Kokkos::single(Kokkos::PerTeam(t), [&]() { mx(n) = m; });
    });
  all_reduce(mx, MPI_MAX, tp, device_pointers);
  if (n_rows > 0)
    Kokkos::parallel_for("compute:vocab_row_sum_exp", Team(n_rows, Kokkos::AUTO), KOKKOS_LAMBDA(Member const& t) {
      std::int64_t const n = t.league_rank();
      if (n % T == T - 1) return;  // the last position predicts nothing
      double sum = 0;
      Kokkos::parallel_reduce(Kokkos::TeamThreadRange(t, V), [&](std::int64_t v, double& a) {
        a += math::exp(static_cast<double>(logits(n, v)) - mx(n));
      }, sum);
      std::int64_t const target = tokens(n + 1) - v0;
      Kokkos::single(Kokkos::PerTeam(t), [&]() {
        se(n) = sum;
        tg(n) = target >= 0 && target < V ? static_cast<double>(logits(n, target)) : 0.0;  // the owner's only
      });
    });
  all_reduce(se, MPI_SUM, tp, device_pointers);
  all_reduce(tg, MPI_SUM, tp, device_pointers);
  return s;
}

double vocab_parallel_loss_sum(VocabRowStats const& s, std::int64_t T) {
  std::int64_t const n_rows = s.max.extent(0);
  DVec mx = s.max, se = s.sum_exp, tg = s.target;
  double total = 0;
  if (n_rows == 0) return 0;
  Kokkos::parallel_reduce("compute:vocab_loss", Range(0, n_rows), KOKKOS_LAMBDA(std::int64_t n, double& acc) {
    if (n % T != T - 1) acc += mx(n) + math::log(se(n)) - tg(n);
  }, total);
  return total;
}

void vocab_parallel_loss_grad(FMat logits, TokenView tokens, std::int64_t T, std::int64_t v0, VocabRowStats const& s,
                              double scale) {
  std::int64_t const n_rows = logits.extent(0), V = logits.extent(1);
  if (n_rows * V == 0) return;
  DVec mx = s.max, se = s.sum_exp;
  Kokkos::parallel_for("compute:vocab_loss_grad", Range(0, n_rows * V), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const n = i / V, v = i % V;
    if (n % T == T - 1) {
      logits(n, v) = 0.0f;
      return;
    }
    double const p = math::exp(static_cast<double>(logits(n, v)) - mx(n)) / se(n);
    logits(n, v) = static_cast<float>((p - (v + v0 == tokens(n + 1) ? 1.0 : 0.0)) * scale);
  });
}

std::uint64_t vocab_columns_fingerprint(FMat logits, std::int64_t first_row, std::int64_t V, std::int64_t v0) {
  std::int64_t const n_rows = logits.extent(0), W = logits.extent(1);
  std::uint64_t fp = 0;
  if (n_rows * W == 0) return 0;
  Kokkos::parallel_reduce("compute:vocab_fingerprint", Range(0, n_rows * W), KOKKOS_LAMBDA(std::int64_t i, std::uint64_t& acc) {
    std::int64_t const n = i / W, v = i % W;
    acc += element_hash(static_cast<std::uint64_t>((first_row + n) * V + v0 + v), float_bits(logits(n, v)));
  }, fp);
  return fp;
}

}  // namespace titan
