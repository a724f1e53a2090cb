// The run report (design §6): a human summary on stdout and the same as JSON.
#pragma once

#include "titan/forward/forward_report.hpp"
#include "titan/train/train_plan_report.hpp"
#include "titan/train/train_report.hpp"
#include "titan/init/init_spec.hpp"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace titan {

struct PhaseTiming {
  std::string name;
  double min_s = 0, avg_s = 0, max_s = 0;  // over ranks, best repetition
};

//! One module group of the init-time profile (see app/init_profile.hpp).
struct ProfileReport {
  std::string group;
  std::int64_t elements = 0;
  double max_s = 0, fraction = 0;
};

struct ParameterReport {
  std::string fqn;
  std::vector<std::int64_t> shape;
  std::string dtype;
  std::vector<std::pair<std::string, std::string>> placements;  // mesh dim name -> "Shard(d)" / "Replicate"
  std::vector<std::string> aliases;
  std::string init;
  std::optional<InitSpec> init_spec;  // structured form of `init`
  std::optional<double> mean, std, min, max;  // absent in a dry run
  std::optional<std::uint64_t> fingerprint;
};

struct BufferReport {
  std::string fqn;
  std::vector<std::int64_t> shape;
  std::string dtype;
  std::uint64_t fingerprint = 0;
};

//! A checkpoint save or load (docs/checkpoint.md): bytes moved, wall time
//! (slowest rank), throughput, and for a save the same machine's sequential
//! write speed measured in the same run (rank 0 writes sample_bytes to a
//! scratch file in the destination's parent, fsyncs it, deletes it).
struct CheckpointReport {
  std::string kind;  // "save" / "load"
  std::string dir, names;
  std::int64_t bytes = 0;  // file bytes (headers and tensor data)
  int files = 0, tensors = 0;
  double seconds = 0, GBps_total = 0, GBps_per_rank = 0;
  std::int64_t sequential_sample_bytes = 0;  // 0 = not measured
  double sequential_write_s = 0, sequential_write_GBps = 0;
};

struct RunReport {
  std::string program = "titan_app";
  std::string version;
  std::string deck;
  std::string resolved_deck;  // TOML text
  int world_size = 1;         // ranks planned for (dry run) or run on
  std::string dtype;
  bool dry_run = false;
  std::string family, flavor;
  int mesh_dp_shard = 1, mesh_ep = 1, mesh_tp = 1;
  std::string exec_space, kokkos_version, git_hash;
  std::string device;  // rank 0's device and node-local rank
  // [mpi] device_buffers resolved (parallel/mpi_buffers.hpp): what the
  // collectives hand MPI ("host memory", "device pointers (...)", "staged
  // through host (...)"), the setting, the library's CUDA awareness
  // ("yes", "no", "unknown"; MIN over the ranks) and how that was found out.
  std::string mpi_device_buffers, mpi_buffers_setting, mpi_cuda_aware, mpi_cuda_aware_how;

  std::int64_t params_total = 0, params_activated = 0;
  std::int64_t params_min_per_rank = 0, params_max_per_rank = 0;
  std::int64_t bytes_total = 0, bytes_min_per_rank = 0, bytes_max_per_rank = 0;
  double bytes_avg_per_rank = 0;          // imbalance = bytes_max_per_rank / bytes_avg_per_rank
  std::int64_t largest_shard_bytes = 0;
  std::string largest_shard_fqn;          // the tensor of the largest local shard (when known)
  std::int64_t peak_rss_min = 0, peak_rss_max = 0;  // VmHWM over ranks (real runs)
  std::optional<bool> layout_verified;

  std::optional<std::uint64_t> fingerprint;
  std::vector<PhaseTiming> phases;
  double init_params_per_s = 0, init_GBps = 0;  // whole model / slowest rank's best init time
  double fill_GBps = 0;       // a plain Kokkos fill of the same bytes (the baseline), slowest rank
  double init_over_fill = 0;  // init_states time / fill time (1 = as fast as writing the bytes)
  std::vector<ParameterReport> parameters;
  std::vector<ProfileReport> init_profile;  // largest first (real runs)
  bool print_profile = false;               // --profile: the whole table in the summary
  std::vector<BufferReport> buffers;
  std::optional<ForwardReport> forward;     // --forward
  std::optional<TrainReport> train;         // --train
  std::optional<TrainPlanReport> train_plan;  // --dry-run --train
  std::vector<CheckpointReport> checkpoints;  // load and/or save, in run order
  bool loaded = false;                       // parameters came from a checkpoint

  //! bytes_max_per_rank / bytes_avg_per_rank (1 = perfectly balanced).
  double bytes_imbalance() const;
  void print_summary(std::ostream& out) const;
  //! The JSON text (design §6 keys).
  std::string json() const;
};

std::string hex64(std::uint64_t v);

}  // namespace titan
