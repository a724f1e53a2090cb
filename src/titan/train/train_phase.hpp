// The driver's training phase: resolves which steps run (after a --load, the
// steps after the loaded one), runs them with a progress line per step on
// rank 0, and fills the report.
#pragma once

#include "titan/train/trainer.hpp"

namespace titan {

struct TrainPhaseInput {
  TrainSettings settings;
  std::int64_t loaded_step = 0;  // optimizer steps already taken (from --load's optimizer state)
  bool progress = true;          // rank 0 prints a line per step (not with --quiet)
  //! [debug] fail_module on the failing rank ("" elsewhere): that Linear's
  //! forward throws in the first step.
  std::string fail_module;
  bool mpi_device_pointers = false;  // the run's resolved [mpi] device_buffers (parallel/mpi_buffers.hpp)
};

//! The last step a run with these settings trains to (steps, or the loaded
//! step plus default_train_steps when --train gave no steps).
std::int64_t last_train_step(TrainSettings const& s, std::int64_t loaded_step);

//! Collective over `comm`. InputError (exit 2) when no step is left to run
//! or the schedule is shorter than the last step.
TrainReport train_phase(Module& model, Mesh const& mesh, MPI_Comm comm, TrainTokens const& tokens, AdamW& optimizer,
                        TrainPhaseInput const& in, double& local_seconds);

}  // namespace titan
