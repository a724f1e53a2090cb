// What the driver's phases share: the run's inputs (command line, deck, mesh,
// plans), what the phases make (the model, its statistics, the optimizer)
// and the report they fill. Set up by set_up_run (run_setup.hpp), then
// handed to each phase of run_phase_list (run_phases.hpp) in turn.
#pragma once

#include "titan/app/checkpoint_plan.hpp"
#include "titan/app/cli.hpp"
#include "titan/app/init_profile.hpp"
#include "titan/app/memory_plan.hpp"
#include "titan/app/run_memory.hpp"
#include "titan/app/run_statistics.hpp"
#include "titan/checkpoint/checkpoint_driver.hpp"
#include "titan/config/deck.hpp"
#include "titan/core/device.hpp"
#include "titan/forward/tokens.hpp"
#include "titan/modules/model_config.hpp"
#include "titan/modules/module.hpp"
#include "titan/parallel/mesh.hpp"
#include "titan/parallel/mpi_buffers.hpp"
#include "titan/report/atomic_file.hpp"
#include "titan/report/report.hpp"
#include "titan/train/adamw.hpp"
#include "titan/train/optimizer_checkpoint.hpp"
#include "titan/train/train_tokens.hpp"

#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace titan {

struct World {
  MPI_Comm comm = MPI_COMM_WORLD;
  int rank = 0, size = 1;
  bool root() const { return rank == 0; }
};

struct RunState {
  World w;
  DeviceChoice device;
  //! What the process holds before titan allocates anything (MPI, Kokkos, the
  //! libraries): a phase's planned peak is compared with the measured peak RSS on top of it.
  std::int64_t baseline_rss = 0;
  RunReport report;

  // ---- set-up: the command line, the deck, the checks and plans made before any heavy work
  Options opt;
  Deck deck;
  CheckpointPlan ckpt;
  bool loading = false;     //!< --load
  bool forward_on = false;  //!< --forward (or [forward] enabled)
  bool train_on = false;    //!< --train (or [train] steps > 0)
  bool progress_on = false;
  int ranks = 1;  //!< the world (or --ranks N of a dry run)
  Mesh mesh;
  MpiBufferChoice mpi_buffers;  //!< [mpi] device_buffers resolved against the library (same on every rank)
  std::unique_ptr<ModelConfig> model_config;
  std::unique_ptr<AtomicFile> json_out, logits_out;
  RankPlan rank_plan;    //!< what this rank will allocate (real runs)
  RunMemory run_memory;  //!< the memory guard's terms: the model, the forward pass, training
  ForwardTokens forward_tokens;
  std::unique_ptr<TrainTokens> train_tokens;
  CheckpointSaver saver;

  // ---- made by the phases
  std::unique_ptr<Module> model;
  std::vector<ParameterPtr> params;
  std::vector<CheckpointTensor> load_tensors, save_tensors;  // each side with its names
  std::int64_t my_elems = 0;  //!< this rank's parameter elements
  std::unique_ptr<InitProfile> profile;
  std::unique_ptr<RunStatistics> statistics;  //!< filled by the init kernels (or the load) as they store
  Metadata loaded_metadata;                   //!< --load: the checkpoint's __metadata__
  std::vector<std::uint64_t> fingerprints;    //!< per parameter, of the model a --save writes
  std::uint64_t model_fingerprint = 0;        //!< the same combined
  std::unique_ptr<AdamW> optimizer;
  std::unique_ptr<OptimizerCheckpoint> optimizer_state;
  std::string layout_failure;  //!< --verify-layout found a fault (reported, then exit 1)
};

}  // namespace titan
