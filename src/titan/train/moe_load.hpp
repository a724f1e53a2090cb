// The MoE layers' load after a forward pass, over the ranks (issue 17,
// item 4): how many (token, expert) rows each rank's experts computed (with
// expert parallelism, the rows its ep peers sent it), its max and mean over
// the ranks; per layer, rank and expert the rows routed and computed (for
// the report, when small); and the analytic all-to-all bytes of the token
// dispatch for that routing (comm_model.hpp).
#pragma once

#include "titan/compute/weight_store.hpp"
#include "titan/modules/moe.hpp"

#include <mpi.h>

#include <vector>

namespace titan {

struct MoeLoad {
  double rows_max = 0, rows_mean = 0;  //!< rows computed per rank, summed over the layers: max and mean over the ranks
  double all_to_all_model = 0;         //!< the dispatch's modelled bytes for this routing, max over the ranks
  //! [layer][rank][expert] rows routed (this rank's tokens) and computed
  //! (by this rank's experts); rank 0 only, empty when larger than 2^16
  //! numbers or with `detail` false.
  std::vector<std::vector<std::vector<double>>> routed, computed;
};

//! Collective over `comm` (the world): the load of the layers' last forward
//! (MoE::last_load()); `passes` as model_all_to_all_bytes() takes it.
MoeLoad moe_load(std::vector<MoE*> const& layers, WeightStore const& store, MPI_Comm comm, int passes, bool detail);

}  // namespace titan
