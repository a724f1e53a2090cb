#include "titan/train/comm_model.hpp"

#include "titan/parallel/placement.hpp"

namespace titan {

StepCommBytes model_step_comm(LanguageModel const& model, Mesh const& mesh,
                              std::array<int, num_mesh_dims> const& coords, bool training) {
  StepCommBytes c;
  constexpr double f32 = 4;  // gathers and gradients travel as float32
  for (LanguageModel::ParamUse const& u : model.param_uses(training)) {
    Parameter const& p = *u.param;
    // The shard group: the mesh dimensions of size > 1 that shard p; the
    // replica group: the rest of the world.
    int shard_ranks = 1;
    for (int m = 0; m < num_mesh_dims; ++m)
      if (p.placements()[m].is_shard()) shard_ranks *= mesh.size(m);
    int const replica_ranks = mesh.world_size() / shard_ranks;
    double const box = static_cast<double>(local_box(p.shape(), p.placements(), mesh, coords).numel());
    double const whole = static_cast<double>(p.numel());
    if (shard_ranks > 1) {
      c.all_gather += u.gathers * f32 * box;          // this rank's box, to the shard group
      c.reduce_scatter += u.reductions * f32 * whole;  // the whole partial gradient, from which each member keeps its box
    }
    if (replica_ranks > 1) c.all_reduce += u.reductions * f32 * box;  // the summed box, over its replicas
  }
  return c;
}

}  // namespace titan
