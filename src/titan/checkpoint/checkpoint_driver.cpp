#include "titan/checkpoint/checkpoint_driver.hpp"

#include "titan/checkpoint/checkpoint_inputs.hpp"
#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/signal_cleanup.hpp"
#include "titan/parallel/collective.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <unordered_set>

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

std::vector<TensorSpec> specs_of(std::vector<CheckpointTensor> const& tensors) {
  std::vector<TensorSpec> out;
  for (auto const& t : tensors) out.push_back({t.stored.name, t.param->dtype(), t.param->shape()});
  return out;
}

int world_size(MPI_Comm comm) {
  int n = 1;
  MPI_Comm_size(comm, &n);
  return n;
}

}  // namespace

std::vector<CheckpointTensor> checkpoint_tensors(std::vector<ParameterPtr> const& params, std::string const& family,
                                                 CheckpointNames names, AttentionHeads heads) {
  std::vector<CheckpointTensor> out;
  for (auto const& p : params) {
    StoredName s = stored_name(family, p->fqn(), !p->aliases().empty(), names, heads);
    if (s.permute_heads > 0)
      require(p->shape().size() == 2 && p->shape()[0] % (2 * s.permute_heads) == 0,
              p->fqn() + ": cannot permute rows for " + std::to_string(s.permute_heads) + " heads of shape " +
                  describe(p->shape()));
    out.push_back({p, std::move(s)});
  }
  std::unordered_set<std::string> seen;  // linear in the tensor count (issue 19: was pairwise)
  for (auto const& t : out)
    require(seen.insert(t.stored.name).second, "two parameters stored as '" + t.stored.name + "'");
  return out;
}

CheckpointSaver::~CheckpointSaver() { cancel_on_signal(_signal_slot); }

CheckpointReport CheckpointSaver::write_part(MPI_Comm comm, std::string const& subdir,
                                             std::vector<CheckpointTensor> const& tensors, Metadata const& metadata,
                                             std::uint64_t max_file_bytes, std::uint64_t buffer_bytes,
                                             std::uint64_t fingerprint, std::vector<std::uint64_t> const& fingerprints) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string const dir = _tmp + "/" + subdir;
  std::vector<FileRecord> const files = plan_checkpoint_files(specs_of(tensors), max_file_bytes, metadata);
  CheckpointReport r;
  r.kind = "save_" + subdir;
  r.dir = _dir + "/" + subdir;
  r.files = static_cast<int>(files.size());
  r.tensors = static_cast<int>(tensors.size());
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
    if (fingerprints.size() != tensors.size()) throw RunError("internal: checkpoint fingerprints and tensors disagree");
    TensorFingerprints fps;
    for (std::size_t i = 0; i < tensors.size(); ++i) fps.emplace_back(tensors[i].stored.name, fingerprints[i]);
    _staging.write_file(subdir + "/model.safetensors.index.json",
                        add_fingerprints_to_index(encode_index(files), fingerprint, fps));
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
                                       std::vector<std::uint64_t> const& fingerprints) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::vector<FileRecord> const files = plan_checkpoint_files(specs_of(tensors), max_file_bytes, metadata);
  CheckpointReport r;
  r.kind = "save";
  r.dir = _dir;
  r.files = static_cast<int>(files.size());
  r.tensors = static_cast<int>(tensors.size());
  for (auto const& f : files) r.bytes += static_cast<std::int64_t>(f.size());

  TITAN_MPI_CHECK(MPI_Barrier(comm));
  double const t0 = MPI_Wtime();
  write_checkpoint_files(comm, _tmp, files, tensors, buffer_bytes);
  collective(comm, [&] {
    if (rank != 0) return;
    if (fingerprints.size() != tensors.size()) throw RunError("internal: checkpoint fingerprints and tensors disagree");
    TensorFingerprints fps;
    for (std::size_t i = 0; i < tensors.size(); ++i) fps.emplace_back(tensors[i].stored.name, fingerprints[i]);
    _staging.write_file("model.safetensors.index.json", add_fingerprints_to_index(encode_index(files), model_fingerprint, fps));
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
                                 bool convert_dtype, std::uint64_t buffer_bytes, Metadata* metadata,
                                 CheckpointIdentity const& identity, SlabHook const& on_slab) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  // Rank 0 reads and checks; the others learn the result: the file names,
  // per tensor (file, offset, dtype), the metadata.
  std::string files_text, meta_text;
  std::vector<long long> where(3 * tensors.size(), 0);
  std::int64_t bytes = 0;
  collective(comm, [&] {
    if (rank != 0) return;
    check_checkpoint_inputs(dir);  // a FIFO would block the reader (and every rank's MPI_File_open)
    CheckpointContents const c = read_checkpoint_directory(dir);
    check_checkpoint_identity(c.metadata, identity, dir);  // family, flavor, names: before the tensors
    std::vector<TensorLocation> const locs = match_checkpoint(c, specs_of(tensors), convert_dtype);
    for (auto const& f : c.files) {
      files_text += f.name + "\n";
      bytes += static_cast<std::int64_t>(f.file_size);
    }
    for (auto const& [k, v] : c.metadata) meta_text += k + '\0' + v + '\0';
    for (std::size_t i = 0; i < locs.size(); ++i) {
      where[3 * i] = locs[i].file;
      where[3 * i + 1] = static_cast<long long>(locs[i].offset);
      where[3 * i + 2] = locs[i].dtype == DType::float32 ? 0 : 1;
    }
  });
  files_text = bcast_string(comm, files_text);
  meta_text = bcast_string(comm, meta_text);
  TITAN_MPI_CHECK(MPI_Bcast(where.data(), static_cast<int>(where.size()), MPI_LONG_LONG, 0, comm));
  TITAN_MPI_CHECK(MPI_Bcast(&bytes, 1, MPI_INT64_T, 0, comm));
  std::vector<std::string> file_names;
  for (std::size_t b = 0, e; (e = files_text.find('\n', b)) != std::string::npos; b = e + 1)
    file_names.push_back(files_text.substr(b, e - b));
  if (metadata) {
    metadata->clear();
    std::vector<std::string> parts;
    for (std::size_t b = 0, e; (e = meta_text.find('\0', b)) != std::string::npos; b = e + 1)
      parts.push_back(meta_text.substr(b, e - b));
    for (std::size_t i = 0; i + 1 < parts.size(); i += 2) metadata->emplace_back(parts[i], parts[i + 1]);
  }
  std::vector<TensorLocation> locs(tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    locs[i].file = static_cast<int>(where[3 * i]);
    locs[i].offset = static_cast<std::uint64_t>(where[3 * i + 1]);
    locs[i].dtype = where[3 * i + 2] == 0 ? DType::float32 : DType::bfloat16;
  }

  CheckpointReport r;
  r.kind = "load";
  r.dir = dir;
  r.files = static_cast<int>(file_names.size());
  r.tensors = static_cast<int>(tensors.size());
  r.bytes = bytes;
  TITAN_MPI_CHECK(MPI_Barrier(comm));
  double const t0 = MPI_Wtime();
  read_checkpoint_files(comm, dir, file_names, tensors, locs, buffer_bytes, on_slab);
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
                             std::uint64_t model_fingerprint, std::string const& run_dtype) {
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
    std::ifstream in(dir + "/model.safetensors.index.json", std::ios::binary);
    std::string const index((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    TensorFingerprints loaded;
    for (std::size_t i = 0; i < tensors.size() && i < fingerprints.size(); ++i)
      loaded.emplace_back(tensors[i].stored.name, fingerprints[i]);
    check_loaded_fingerprints(saved_fingerprints(header_fp, index), model_fingerprint, loaded, dir);
  });
}

}  // namespace titan
