#include "titan/train/comm_model.hpp"

#include "titan/compute/shard_group.hpp"
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
    // The shard group: the mesh dimensions of size > 1 that shard p, but
    // those compute keeps (compute_keep(): ep, each ep rank gathering its own
    // experts' block only; tp when tp-split compute keeps its slice); the
    // replica group: the ranks that hold the same box (the dimensions that
    // do not shard p).
    MeshDimMask const keep = compute_keep(split);
    int shard_ranks = 1, group_ranks = 1;
    for (int m = 0; m < num_mesh_dims; ++m)
      if (p.placements()[m].is_shard()) {
        shard_ranks *= mesh.size(m);
        if (!(keep & mesh_dim_bit(m))) group_ranks *= mesh.size(m);
      }
    int const replica_ranks = mesh.world_size() / shard_ranks;
    double const box = static_cast<double>(local_box(p.shape(), p.placements(), mesh, coords).numel());
    // What the gather assembles: all of p, its tp slice or its ep block of experts.
    double const region = static_cast<double>(kept_region(p.shape(), p.placements(), mesh, coords, keep).numel());
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

double model_all_to_all_bytes(std::vector<std::vector<std::vector<double>>> const& routed,
                              std::vector<std::int64_t> const& width, int me, int passes) {
  double rows = 0;
  for (std::size_t l = 0; l < routed.size(); ++l) {
    int const ranks = static_cast<int>(routed[l].size());
    if (ranks < 2) continue;
    std::int64_t const E = static_cast<std::int64_t>(routed[l][static_cast<std::size_t>(me)].size());
    auto const mine = chunk_range(E, ranks, me);
    double layer = 0;
    for (int s = 0; s < ranks; ++s)
      for (std::int64_t e = 0; e < E; ++e) {
        bool const local = e >= mine[0] && e < mine[0] + mine[1];
        double const n = routed[l][static_cast<std::size_t>(s)][static_cast<std::size_t>(e)];
        if (s == me && !local) layer += n;  // this rank's rows to another rank's expert
        if (s != me && local) layer += n;   // another rank's rows, computed here, sent back
      }
    rows += layer * static_cast<double>(width[l]);
  }
  return 4.0 * rows * passes;
}

double balanced_all_to_all_bytes(std::vector<std::int64_t> const& width, double rows, int ep, int passes) {
  double bytes = 0;
  for (std::int64_t w : width) bytes += 4.0 * static_cast<double>(w) * 2 * rows * (ep - 1) / ep;
  return bytes * passes;
}

}  // namespace titan
