#include "titan/train/adamw.hpp"

#include "titan/core/bf16.hpp"
#include "titan/parallel/collective.hpp"

#include <cmath>

namespace titan {

namespace {
using Range = Kokkos::RangePolicy<ExecSpace>;

ShardedTensorPtr state_tensor(Parameter const& p, std::string const& suffix, Mesh const& mesh, int rank) {
  auto t = std::make_shared<ShardedTensor>(p.fqn() + suffix, p.shape(), p.placements(), DType::float32, mesh, rank);
  t->allocate_zeros();
  return t;
}
}  // namespace

namespace detail {

void adamw_kernel(View1<float> p, View1<float> g, View1<float> m, View1<float> v, float decay, float one_minus_b1,
                  float b2, float one_minus_b2, float step_size, float bc2_sqrt, float eps);

// torch's _single_tensor_adamw, element-wise in float32:
//   p *= 1 - lr wd; m.lerp_(g, 1 - b1); v = v b2 + (1 - b2) g g;
//   p -= step_size m / (sqrt(v) / sqrt(1 - b2^t) + eps), step_size = lr / (1 - b1^t).
void adamw_kernel(View1<float> p, View1<float> g, View1<float> m, View1<float> v, float decay, float one_minus_b1,
                  float b2, float one_minus_b2, float step_size, float bc2_sqrt, float eps) {
  Kokkos::parallel_for("train:adamw", Range(0, static_cast<std::int64_t>(p.extent(0))), KOKKOS_LAMBDA(std::int64_t i) {
    float const gi = g(i);
    float pi = p(i) * decay;
    // torch's lerp: start + w (end - start) for w < 0.5, end - (end - start)(1 - w) otherwise.
    float const mi = one_minus_b1 < 0.5f ? m(i) + one_minus_b1 * (gi - m(i))
                                         : gi - (gi - m(i)) * (1.0f - one_minus_b1);
    float const vi = v(i) * b2 + one_minus_b2 * gi * gi;
#if KOKKOS_VERSION >= 40000
    float const denom = Kokkos::sqrt(vi) / bc2_sqrt + eps;
#else
    float const denom = Kokkos::Experimental::sqrt(vi) / bc2_sqrt + eps;
#endif
    pi = pi - step_size * (mi / denom);
    m(i) = mi;
    v(i) = vi;
    p(i) = pi;
  });
}

void round_kernel(View1<float> master, View1<bf16_bits> param);

void round_kernel(View1<float> master, View1<bf16_bits> param) {
  Kokkos::parallel_for("train:round_bf16", Range(0, static_cast<std::int64_t>(param.extent(0))),
                       KOKKOS_LAMBDA(std::int64_t i) { param(i) = float_to_bf16(master(i)); });
}

void widen_kernel(View1<bf16_bits> param, View1<float> master);

void widen_kernel(View1<bf16_bits> param, View1<float> master) {
  Kokkos::parallel_for("train:widen_bf16", Range(0, static_cast<std::int64_t>(param.extent(0))),
                       KOKKOS_LAMBDA(std::int64_t i) { master(i) = bf16_to_float(param(i)); });
}

}  // namespace detail

AdamW::AdamW(std::vector<ParameterPtr> const& params, Mesh const& mesh, int rank) {
  for (auto const& p : params) {
    State s;
    s.param = p;
    s.exp_avg = state_tensor(*p, ".exp_avg", mesh, rank);
    s.exp_avg_sq = state_tensor(*p, ".exp_avg_sq", mesh, rank);
    if (p->dtype() == DType::bfloat16) {
      s.master = state_tensor(*p, ".master", mesh, rank);
      if (p->allocated()) detail::widen_kernel(p->bf16(), s.master->f32());
    }
    _states.push_back(std::move(s));
  }
}

void AdamW::update(GradientSet const& grads, AdamWHyper const& h) {
  ++_step;
  double const t = static_cast<double>(_step);
  double const bc1 = 1.0 - std::pow(h.beta1, t), bc2 = 1.0 - std::pow(h.beta2, t);
  float const decay = static_cast<float>(1.0 - h.lr * h.weight_decay);
  float const step_size = static_cast<float>(h.lr / bc1), bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  for (State const& s : _states) {
    View1<float> const target = s.master ? s.master->f32() : s.param->f32();
    detail::adamw_kernel(target, grads.of(*s.param).f32(), s.exp_avg->f32(), s.exp_avg_sq->f32(), decay,
                         static_cast<float>(1.0 - h.beta1), static_cast<float>(h.beta2),
                         static_cast<float>(1.0 - h.beta2), step_size, bc2_sqrt, static_cast<float>(h.eps));
    if (s.master) detail::round_kernel(s.master->f32(), s.param->bf16());
  }
}

void AdamW::round_parameters_from_masters() {
  for (State const& s : _states)
    if (s.master) detail::round_kernel(s.master->f32(), s.param->bf16());
}

std::int64_t AdamW::local_bytes() const {
  std::int64_t b = 0;
  for (State const& s : _states)
    for (auto const& t : {s.exp_avg, s.exp_avg_sq, s.master})
      if (t) b += t->local_bytes();
  return b;
}

double global_grad_norm(GradientSet const& grads, MPI_Comm comm) {
  double local = 0;
  for (auto const& g : grads.all()) {
    if (!g->primary_replica()) continue;  // each element once: its primary replica
    View1<float> const v = g->f32();
    double s = 0;
    Kokkos::parallel_reduce("train:grad_sq", Range(0, static_cast<std::int64_t>(v.extent(0))),
                            KOKKOS_LAMBDA(std::int64_t i, double& acc) { acc += static_cast<double>(v(i)) * v(i); }, s);
    local += s;
  }
  double total = 0;
  TITAN_MPI_CHECK(MPI_Allreduce(&local, &total, 1, MPI_DOUBLE, MPI_SUM, comm));
  return std::sqrt(total);
}

void scale_gradients(GradientSet const& grads, double factor) {
  float const f = static_cast<float>(factor);
  for (auto const& g : grads.all()) {
    View1<float> const v = g->f32();
    Kokkos::parallel_for("train:clip", Range(0, static_cast<std::int64_t>(v.extent(0))),
                         KOKKOS_LAMBDA(std::int64_t i) { v(i) *= f; });
  }
}

double clip_coefficient(double norm, double max_norm) {
  double const c = max_norm / (norm + 1e-6);
  return c < 1.0 ? c : 1.0;
}

}  // namespace titan
