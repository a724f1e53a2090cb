// The training loop (design §12): per step, the module tree's forward to the
// loss, its backward to every parameter's gradient, the global gradient
// norm and clipping, MoE load balancing, AdamW with the learning-rate
// schedule. The batch is split over the ranks (data parallel); gradients are
// summed onto the shards of their owners.
#pragma once

#include "titan/modules/module.hpp"
#include "titan/parallel/mesh.hpp"
#include "titan/train/adamw.hpp"
#include "titan/train/train_report.hpp"
#include "titan/train/train_tokens.hpp"

#include <mpi.h>

#include <functional>

namespace titan {

struct TrainRun {
  TrainSettings settings;
  std::int64_t first_step = 1, last_step = 0;  // steps run: first .. last (inclusive)
  std::int64_t schedule_steps = 0;             // the learning-rate schedule's length
  bool mpi_device_pointers = false;            // the run's resolved [mpi] device_buffers (parallel/mpi_buffers.hpp)
  //! Called on rank 0 after each step (progress lines).
  std::function<void(TrainStepRecord const&, double tokens_per_s)> after_step;
  //! Fault injection: the Linear module whose forward throws in the first step ("" for none).
  std::string fail_module;
};

//! Collective over `comm`. Runs the steps, updating the model's parameters
//! and the optimizer's state; RunError naming the step when the loss or the
//! gradient norm is not finite (nothing is updated in that step).
TrainReport run_training(Module& model, Mesh const& mesh, MPI_Comm comm, TrainTokens const& tokens, AdamW& optimizer,
                         TrainRun const& run);

}  // namespace titan
