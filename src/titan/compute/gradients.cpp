#include "titan/compute/gradients.hpp"

#include "titan/core/errors.hpp"

namespace titan {

GradientSet::GradientSet(std::vector<ParameterPtr> const& params, Mesh const& mesh, int rank) {
  for (auto const& p : params) {
    auto g = std::make_shared<ShardedTensor>(p->fqn(), p->shape(), p->placements(), DType::float32, mesh, rank);
    g->allocate_zeros();
    _by_param[p.get()] = g.get();
    _all.push_back(std::move(g));
  }
}

ShardedTensor& GradientSet::of(Parameter const& p) const {
  auto it = _by_param.find(&p);
  if (it == _by_param.end()) throw RunError("internal: no gradient for " + p.fqn());
  return *it->second;
}

void GradientSet::zero() {
  for (auto const& g : _all) Kokkos::deep_copy(g->f32(), 0.0f);
}

std::int64_t GradientSet::local_bytes() const {
  std::int64_t b = 0;
  for (auto const& g : _all) b += g->local_bytes();
  return b;
}

}  // namespace titan
