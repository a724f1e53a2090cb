// The training planner of a dry run (--dry-run [--ranks N] --train, issue 17
// item 7): before launch, what a training step holds on the rank with the
// largest plan, term by term, from the same functions the real run's memory
// guard uses (plan_train_memory on an allocation-free build of that rank),
// whether it fits the memory a rank has, and what would fit when it does not.
#pragma once

#include "titan/core/memory_limits.hpp"
#include "titan/modules/build_context.hpp"
#include "titan/modules/model_config.hpp"
#include "titan/modules/module.hpp"
#include "titan/modules/parameter.hpp"
#include "titan/train/train_plan_report.hpp"
#include "titan/train/train_settings.hpp"

#include <mpi.h>

#include <cstdint>
#include <vector>

namespace titan {

struct TrainPlanInput {
  ModelConfig const* config = nullptr;
  BuildContext build;                    //!< mesh, dtype, overrides of the run (rank and allocate are set here)
  Module const* model = nullptr;         //!< the dry run's build (rank 0's boxes, nothing allocated)
  TrainSettings settings;
  std::int64_t batch = 0, seq_len = 0;
  std::int64_t runtime_bytes = 0;        //!< this process before titan allocated (MPI, Kokkos, libraries)
  MemoryRoom memory_per_rank;            //!< what one rank may use (bytes < 0: unknown)
};

//! Collective over `comm`: the memory one rank of the planned run may use.
//! `given` > 0 (--memory-per-rank): that. Otherwise as the memory guard reads
//! it: the node's available memory (or `pretend_available`, [debug]
//! memory_available; on a device build, device_id >= 0, the device's free
//! memory) divided by the ranks of this launch on the node (on the device).
MemoryRoom planned_rank_memory(MPI_Comm comm, std::int64_t given, std::int64_t pretend_available, int device_id);

//! The rank with the largest training plan (the first such rank): from the
//! per-rank parameter counts of plan_layout (O(layouts x world)) and the
//! sequences chunk_range gives each rank; not collective.
int largest_train_rank(TrainPlanInput const& in);

//! The plan of the largest rank, its FLOPs per step, whether it fits and
//! the advice when it does not. Not collective (every rank computes the same).
TrainPlanReport plan_training(TrainPlanInput const& in);

}  // namespace titan
