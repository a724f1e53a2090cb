#include "titan/train/comm_model.hpp"

#include "titan/parallel/placement.hpp"

namespace titan {

StepCommBytes model_step_comm(LanguageModel const& model, TpPlan const& plan, Mesh const& mesh,
                              std::array<int, num_mesh_dims> const& coords, bool training, std::int64_t rows,
                              bool checkpointing) {
  StepCommBytes c;
  constexpr double f32 = 4;  // gathers, gradients and tp activations travel as float32
  bool const tp_on = mesh.size(tp) > 1;
  for (LanguageModel::ParamUse const& u : model.param_uses(training)) {
    Parameter const& p = *u.param;
    bool const split = tp_on && plan.split.count(&p) > 0;
    // The shard group: the mesh dimensions of size > 1 that shard p (tp left
    // out when tp-split compute keeps its slice); the replica group: the
    // ranks that hold the same box (the dimensions that do not shard p).
    int shard_ranks = 1, group_ranks = 1;
    for (int m = 0; m < num_mesh_dims; ++m)
      if (p.placements()[m].is_shard()) {
        shard_ranks *= mesh.size(m);
        if (!(split && m == tp)) group_ranks *= mesh.size(m);
      }
    int const replica_ranks = mesh.world_size() / shard_ranks;
    double const box = static_cast<double>(local_box(p.shape(), p.placements(), mesh, coords).numel());
    double region = static_cast<double>(p.numel());  // what the gather assembles: all of p, or its tp slice
    if (split) {
      Placements only_tp = replicated();
      only_tp[tp] = p.placements()[tp];
      region = static_cast<double>(local_box(p.shape(), only_tp, mesh, coords).numel());
    }
    if (group_ranks > 1) {
      c.all_gather += u.gathers * f32 * box;           // this rank's box, to the group
      c.reduce_scatter += u.reductions * f32 * region;  // the partial gradient of the region, each member keeps its box
    }
    if (replica_ranks > 1) c.all_reduce += u.reductions * f32 * box;  // the summed box, over its replicas
  }
  if (tp_on) {  // the split modules' [rows, width] sums per forward (and recomputation) and per backward
    double fwd = 0, bwd = 0;
    for (std::int64_t w : plan.forward_sums) fwd += static_cast<double>(w);
    for (std::int64_t w : plan.backward_sums) bwd += static_cast<double>(w);
    double const forwards = training && checkpointing ? 2 : 1, backwards = training ? 1 : 0;
    c.all_reduce += f32 * static_cast<double>(rows) * (forwards * fwd + backwards * bwd);
    // The vocabulary-parallel embedding sums its [rows, dim] output (forward),
    // the output head its dL/dx (backward).
    double const vocab = (plan.vocab_embedding ? 1 : 0) + (plan.vocab_output && training ? 1 : 0);
    c.all_reduce += vocab * f32 * static_cast<double>(rows) * static_cast<double>(plan.dim);
  }
  return c;
}

}  // namespace titan
