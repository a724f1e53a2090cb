#include "titan/train/moe_load.hpp"

#include "titan/parallel/collective.hpp"
#include "titan/train/comm_model.hpp"

namespace titan {

namespace {

// flat[r][l * E + e] -> [l][r][e]
std::vector<std::vector<std::vector<double>>> by_layer(std::vector<double> const& flat, int ranks,
                                                       std::vector<MoE*> const& layers, std::size_t per_rank) {
  std::vector<std::vector<std::vector<double>>> out(layers.size());
  for (int r = 0; r < ranks; ++r) {
    std::size_t at = static_cast<std::size_t>(r) * per_rank;
    for (std::size_t l = 0; l < layers.size(); ++l) {
      std::size_t const E = static_cast<std::size_t>(layers[l]->num_experts());
      out[l].emplace_back(flat.begin() + static_cast<std::ptrdiff_t>(at),
                          flat.begin() + static_cast<std::ptrdiff_t>(at + E));
      at += E;
    }
  }
  return out;
}

}  // namespace

MoeLoad moe_load(std::vector<MoE*> const& layers, WeightStore const& store, MPI_Comm comm, int passes, bool detail) {
  MoeLoad out;
  if (layers.empty()) return out;
  int rank = 0, world = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &world);
  std::vector<double> routed, computed;
  std::vector<std::int64_t> width;
  double rows = 0;
  for (MoE* m : layers) {
    MoELoad const& l = m->last_load();
    std::size_t const E = static_cast<std::size_t>(m->num_experts());
    for (std::size_t e = 0; e < E; ++e) {  // a layer that never ran (no forward yet) counts zeros
      routed.push_back(e < l.routed.size() ? l.routed[e] : 0.0);
      computed.push_back(e < l.computed.size() ? l.computed[e] : 0.0);
      rows += computed.back();
    }
    width.push_back(m->dim());
  }
  double sums[2] = {rows, rows};
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &sums[0], 1, MPI_DOUBLE, MPI_MAX, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &sums[1], 1, MPI_DOUBLE, MPI_SUM, comm));
  out.rows_max = sums[0];
  out.rows_mean = sums[1] / world;

  // The model's bytes: this rank's ep group's routing counts.
  int const ep_ranks = store.expert_ranks();
  std::vector<double> group(routed.size() * static_cast<std::size_t>(ep_ranks));
  TITAN_MPI_CHECK(MPI_Allgather(routed.data(), static_cast<int>(routed.size()), MPI_DOUBLE, group.data(),
                                static_cast<int>(routed.size()), MPI_DOUBLE, store.expert_comm().comm));
  double bytes = model_all_to_all_bytes(by_layer(group, ep_ranks, layers, routed.size()), width, store.expert_rank(), passes);
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &bytes, 1, MPI_DOUBLE, MPI_MAX, comm));
  out.all_to_all_model = bytes;

  if (!detail || static_cast<double>(routed.size()) * world > 65536.0) return out;
  std::vector<double> all_routed(rank == 0 ? routed.size() * static_cast<std::size_t>(world) : 0), all_computed(all_routed.size());
  TITAN_MPI_CHECK(MPI_Gather(routed.data(), static_cast<int>(routed.size()), MPI_DOUBLE, all_routed.data(),
                             static_cast<int>(routed.size()), MPI_DOUBLE, 0, comm));
  TITAN_MPI_CHECK(MPI_Gather(computed.data(), static_cast<int>(computed.size()), MPI_DOUBLE, all_computed.data(),
                             static_cast<int>(computed.size()), MPI_DOUBLE, 0, comm));
  if (rank == 0) {
    out.routed = by_layer(all_routed, world, layers, routed.size());
    out.computed = by_layer(all_computed, world, layers, computed.size());
  }
  return out;
}

}  // namespace titan
