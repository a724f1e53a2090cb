#include "titan/checkpoint/checkpoint_driver.hpp"

#include "titan/checkpoint/checkpoint_inputs.hpp"
#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/signal_cleanup.hpp"
#include "titan/parallel/broadcast.hpp"
#include "titan/parallel/collective.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace titan {

namespace {

// Broadcasts a string from rank 0 (after a successful collective step).
std::string bcast_string(MPI_Comm comm, std::string s) {
  long long n = static_cast<long long>(s.size());
  TITAN_MPI_CHECK(MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, comm));
  s.resize(static_cast<std::size_t>(n));
  if (n > 0) TITAN_MPI_CHECK(MPI_Bcast(&s[0], static_cast<int>(n), MPI_CHAR, 0, comm));
  return s;
}

std::vector<ModelTensorInfo> infos_of(std::vector<CheckpointTensor> const& tensors) {
  std::vector<ModelTensorInfo> out;
  out.reserve(tensors.size());
  for (auto const& t : tensors) out.push_back(t.info());
  return out;
}

std::vector<std::vector<PieceLayout>> layouts_of(std::vector<CheckpointTensor> const& tensors) {
  std::vector<std::vector<PieceLayout>> out;
  out.reserve(tensors.size());
  for (auto const& t : tensors) out.push_back(t.layouts);
  return out;
}

int world_size(MPI_Comm comm) {
  int n = 1;
  MPI_Comm_size(comm, &n);
  return n;
}

}  // namespace

std::vector<CheckpointTensor> checkpoint_tensors(std::vector<ParameterPtr> const& params,
                                                 std::vector<BufferPtr> const& buffers, HfAdapter const* adapter) {
  std::vector<CheckpointTensor> out;
  for (auto const& p : params) out.push_back({p, nullptr, {}});
  if (adapter)  // titan names store no buffer
    for (auto const& b : buffers) out.push_back({nullptr, b, {}});
  std::vector<std::vector<PieceLayout>> layouts = model_layouts(infos_of(out), adapter);
  for (std::size_t k = 0; k < out.size(); ++k) out[k].layouts = std::move(layouts[k]);
  save_tensors(infos_of(out), layouts_of(out));  // the layouts fill every stored tensor once, names unique
  return out;
}

std::string stored_names(CheckpointTensor const& t) {
  if (t.layouts.empty()) return t.fqn();
  std::string out;
  for (StoredPiece const& p : t.layouts[0])
    if (out.find("'" + p.tensor + "'") == std::string::npos && out != p.tensor) out += (out.empty() ? "" : "', '") + p.tensor;
  return out;
}

CheckpointTensor whole_checkpoint_tensor(ShardedTensorPtr tensor) {
  Extents const shape(tensor->shape().begin(), tensor->shape().end());
  std::string const fqn = tensor->fqn();
  return {std::move(tensor), nullptr, {stored_whole(fqn, shape)}};
}

CheckpointSaver::~CheckpointSaver() { cancel_on_signal(_signal_slot); }

namespace {

// The index's text: the plan's, with titan_app's fingerprints (keyed by FQN).
std::string index_with_fingerprints(std::vector<FileRecord> const& files, std::vector<CheckpointTensor> const& tensors,
                                    std::uint64_t model_fingerprint, std::vector<std::uint64_t> const& fingerprints) {
  // The parameters come first (checkpoint_tensors); buffers have no fingerprint here.
  if (fingerprints.size() > tensors.size()) throw RunError("internal: more checkpoint fingerprints than tensors");
  TensorFingerprints fps;
  for (std::size_t i = 0; i < fingerprints.size(); ++i) fps.emplace_back(tensors[i].fqn(), fingerprints[i]);
  return add_fingerprints_to_index(encode_index(files), model_fingerprint, fps);
}

}  // namespace

CheckpointReport CheckpointSaver::write_part(MPI_Comm comm, std::string const& subdir,
                                             std::vector<CheckpointTensor> const& tensors, Metadata const& metadata,
                                             std::uint64_t max_file_bytes, std::uint64_t buffer_bytes,
                                             std::uint64_t fingerprint, std::vector<std::uint64_t> const& fingerprints) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string const dir = _tmp + "/" + subdir;
  std::vector<TensorSpec> const stored = save_tensors(infos_of(tensors), layouts_of(tensors));
  std::vector<FileRecord> const files = plan_checkpoint_files(stored, max_file_bytes, metadata);
  CheckpointReport r;
  r.kind = "save_" + subdir;
  r.dir = _dir + "/" + subdir;
  r.files = static_cast<int>(files.size());
  r.tensors = static_cast<int>(stored.size());
  for (auto const& f : files) r.bytes += static_cast<std::int64_t>(f.size());
  collective(comm, [&] {
    if (rank == 0 && ::mkdir(dir.c_str(), 0777) != 0)
      throw RunError("--save: creating " + echo(dir, 200) + " failed: " + std::strerror(errno));
  });
  TITAN_MPI_CHECK(MPI_Barrier(comm));
  double const t0 = MPI_Wtime();
  write_checkpoint_files(comm, dir, files, tensors, buffer_bytes);
  collective(comm, [&] {
    if (rank != 0) return;
    _staging.write_file(subdir + "/" + index_file_name("model"),
                        index_with_fingerprints(files, tensors, fingerprint, fingerprints));
    fsync_directory(dir);
  });
  double const seconds = MPI_Wtime() - t0;
  TITAN_MPI_CHECK(MPI_Allreduce(&seconds, &r.seconds, 1, MPI_DOUBLE, MPI_MAX, comm));
  if (r.seconds > 0) {
    r.GBps_total = static_cast<double>(r.bytes) / r.seconds / 1e9;
    r.GBps_per_rank = r.GBps_total / world_size(comm);
  }
  return r;
}

void CheckpointSaver::prepare(MPI_Comm comm, std::string const& dir, bool overwrite,
                              std::vector<NamedPath> const& inputs) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  collective(comm, [&] {
    if (rank == 0) _staging.prepare(dir, overwrite, inputs);
  });
  _dir = bcast_string(comm, rank == 0 ? _staging.dir() : std::string());
  _tmp = bcast_string(comm, rank == 0 ? _staging.tmp() : std::string());
  // Rank 0's staging removes the temporary on a signal; the others too, so
  // that a rank stopped while rank 0 is not still leaves nothing of its own.
  if (rank != 0) _signal_slot = remove_on_signal(_tmp, CleanupKind::flat_directory);
}

void CheckpointSaver::check_space(MPI_Comm comm, std::uint64_t bytes) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  collective(comm, [&] {
    if (rank == 0) _staging.check_free_space(bytes);
  });
}

CheckpointReport CheckpointSaver::save(MPI_Comm comm, std::vector<CheckpointTensor> const& tensors,
                                       Metadata const& metadata, std::uint64_t max_file_bytes,
                                       std::uint64_t buffer_bytes,
                                       std::vector<std::pair<std::string, std::string>> const& extra_files,
                                       std::uint64_t sample_bytes, std::uint64_t model_fingerprint,
                                       std::vector<std::uint64_t> const& fingerprints, std::string const& stem) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::vector<TensorSpec> const stored = save_tensors(infos_of(tensors), layouts_of(tensors));
  std::vector<FileRecord> const files = plan_checkpoint_files(stored, max_file_bytes, metadata, stem);
  CheckpointReport r;
  r.kind = "save";
  r.dir = _dir;
  r.files = static_cast<int>(files.size());
  r.tensors = static_cast<int>(stored.size());
  for (auto const& f : files) r.bytes += static_cast<std::int64_t>(f.size());

  TITAN_MPI_CHECK(MPI_Barrier(comm));
  double const t0 = MPI_Wtime();
  write_checkpoint_files(comm, _tmp, files, tensors, buffer_bytes);
  collective(comm, [&] {
    if (rank != 0) return;
    _staging.write_file(index_file_name(stem), index_with_fingerprints(files, tensors, model_fingerprint, fingerprints));
    for (auto const& [name, text] : extra_files) _staging.write_file(name, text);
    _staging.commit();
  });
  cancel_on_signal(_signal_slot);  // committed: the temporary is now the checkpoint
  _signal_slot = -1;
  double const seconds = MPI_Wtime() - t0;  // the collective's verdict synchronized the ranks
  TITAN_MPI_CHECK(MPI_Allreduce(&seconds, &r.seconds, 1, MPI_DOUBLE, MPI_MAX, comm));
  if (r.seconds > 0) {
    r.GBps_total = static_cast<double>(r.bytes) / r.seconds / 1e9;
    r.GBps_per_rank = r.GBps_total / world_size(comm);
  }

  if (sample_bytes > 0) {
    // The checkpoint is committed: a failing reference (no room left for the
    // scratch file, a file-size limit) must not turn a complete save into a
    // failed run. Rank 0 warns; the report then has no reference.
    std::uint64_t const n = std::min<std::uint64_t>(sample_bytes, static_cast<std::uint64_t>(r.bytes));
    double s = -1;
    if (rank == 0) {
      try {
        s = measure_sequential_write(_staging.parent(), n);
      } catch (std::exception const& e) {
        std::fprintf(stderr, "titan_app: warning: the checkpoint %s is complete, but the write-speed reference failed: %s\n",
                     echo(_dir, 200).c_str(), clean_message(e.what()).c_str());
        std::fflush(stderr);
        s = -1;
      }
    }
    TITAN_MPI_CHECK(MPI_Bcast(&s, 1, MPI_DOUBLE, 0, comm));
    if (s >= 0) {
      r.sequential_sample_bytes = static_cast<std::int64_t>(n);
      r.sequential_write_s = s;
      r.sequential_write_GBps = s > 0 ? static_cast<double>(n) / s / 1e9 : 0;
    }
  }
  return r;
}

CheckpointReport load_checkpoint(MPI_Comm comm, std::string const& dir, std::vector<CheckpointTensor> const& tensors,
                                 HfAdapter const* adapter, DType dtype, bool convert_dtype, std::uint64_t buffer_bytes,
                                 Metadata* metadata, CheckpointIdentity const& identity, SlabHook const& on_slab) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  // Rank 0 reads and checks; the others learn the plan.
  std::string plan_text;
  collective(comm, [&] {
    if (rank != 0) return;
    check_checkpoint_inputs(dir);  // a FIFO would block the reader (and every rank's MPI_File_open)
    CheckpointContents const c = read_checkpoint_directory(dir);
    check_checkpoint_identity(c.metadata, identity, dir);  // family, flavor, names: before the tensors
    if (adapter) {  // HF names: config.json, when there is one, must describe the deck's model
      std::string const config = dir + "/config.json";
      struct stat st;
      if (::lstat(config.c_str(), &st) == 0)
        check_hf_config(adapter->config(dtype), read_small_file(config, "config.json", std::uint64_t(16) << 20), config);
    }
    plan_text = encode_load_plan(plan_load(c, infos_of(tensors), layouts_of(tensors), convert_dtype, adapter));
  });
  broadcast_text(comm, plan_text, 0);
  LoadPlan const plan = decode_load_plan(plan_text);
  if (metadata) *metadata = plan.metadata;

  CheckpointReport r;
  r.kind = "load";
  r.dir = dir;
  r.files = static_cast<int>(plan.files.size());
  r.tensors = static_cast<int>(plan.sources.size());
  r.bytes = static_cast<std::int64_t>(plan.bytes);
  TITAN_MPI_CHECK(MPI_Barrier(comm));
  double const t0 = MPI_Wtime();
  read_checkpoint_files(comm, dir, plan, tensors, buffer_bytes, on_slab);
  Kokkos::fence();
  double const seconds = MPI_Wtime() - t0;
  TITAN_MPI_CHECK(MPI_Allreduce(&seconds, &r.seconds, 1, MPI_DOUBLE, MPI_MAX, comm));
  if (r.seconds > 0) {
    r.GBps_total = static_cast<double>(r.bytes) / r.seconds / 1e9;
    r.GBps_per_rank = r.GBps_total / world_size(comm);
  }
  return r;
}

void check_loaded_checkpoint(MPI_Comm comm, std::string const& dir, Metadata const& metadata,
                             std::vector<CheckpointTensor> const& tensors, std::vector<std::uint64_t> const& fingerprints,
                             std::uint64_t model_fingerprint, std::string const& run_dtype, std::string const& stem) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  collective(comm, [&] {
    if (rank != 0) return;
    std::string header_fp, stored_dtype;
    for (auto const& [k, v] : metadata) {
      if (k == "fingerprint") header_fp = v;
      if (k == "dtype") stored_dtype = v;
    }
    if (!stored_dtype.empty() && stored_dtype != run_dtype) return;  // converted: other values by design
    std::ifstream in(dir + "/" + index_file_name(stem), std::ios::binary);
    std::string const index((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    TensorFingerprints loaded;
    for (std::size_t i = 0; i < tensors.size() && i < fingerprints.size(); ++i)
      loaded.emplace_back(tensors[i].fqn(), fingerprints[i]);
    check_loaded_fingerprints(saved_fingerprints(header_fp, index), model_fingerprint, loaded, dir);
  });
}

}  // namespace titan
