#include "titan/train/comm_model.hpp"

#include "titan/compute/shard_group.hpp"
#include "titan/parallel/placement.hpp"

namespace titan {

StepCommBytes model_step_comm(LanguageModel const& model, Mesh const& mesh,
                              std::array<int, num_mesh_dims> const& coords, bool training) {
  StepCommBytes c;
  constexpr double f32 = 4;  // gathers and gradients travel as float32
  for (LanguageModel::ParamUse const& u : model.param_uses(training)) {
    Parameter const& p = *u.param;
    // The shard group: the mesh dimensions of size > 1 that shard p, but ep
    // (expert parallelism: each ep rank gathers its own experts' block
    // only); the replica group: the dimensions that do not shard p.
    int shard_ranks = 1, gather_ranks = 1;
    for (int m = 0; m < num_mesh_dims; ++m)
      if (p.placements()[m].is_shard()) {
        shard_ranks *= mesh.size(m);
        if (m != ep) gather_ranks *= mesh.size(m);
      }
    int const replica_ranks = mesh.world_size() / shard_ranks;
    double const box = static_cast<double>(local_box(p.shape(), p.placements(), mesh, coords).numel());
    // What a gather yields: the whole tensor, or this rank's ep block of experts.
    double const whole = static_cast<double>(p.numel()) *
                         static_cast<double>(local_rows(p.shape(), p.placements(), mesh, coords,
                                                        p.placements()[ep].is_shard() ? mesh_dim_bit(ep) : 0)[1]) /
                         static_cast<double>(p.shape()[0]);
    if (gather_ranks > 1) {
      c.all_gather += u.gathers * f32 * box;          // this rank's box, to the shard group
      c.reduce_scatter += u.reductions * f32 * whole;  // the whole partial gradient, from which each member keeps its box
    }
    if (replica_ranks > 1) c.all_reduce += u.reductions * f32 * box;  // the summed box, over its replicas
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
