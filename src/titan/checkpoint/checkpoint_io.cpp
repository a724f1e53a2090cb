#include "titan/checkpoint/checkpoint_io.hpp"

#include "titan/core/bf16.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/types.hpp"
#include "titan/parallel/collective.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace titan {

namespace {

std::string mpi_error_text(int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  return std::string(text, static_cast<std::size_t>(len));
}

// The first MPI-IO failure of this rank. Ranks keep taking part in the
// collective calls after a failure (with nothing to move), so no rank is
// left waiting; the verdict comes at the end of each file (collective()).
struct IoErrors {
  std::string first;
  void check(int rc, std::string const& what) {
    if (rc != MPI_SUCCESS && first.empty()) first = what + " failed: " + mpi_error_text(rc);
  }
  void fail(std::string const& what) {
    if (first.empty()) first = what;
  }
  void verdict(MPI_Comm comm) {
    collective(comm, [&] {
      if (!first.empty()) throw RunError(first);
    });
  }
};

// A committed MPI datatype, freed on scope exit.
struct OwnedType {
  MPI_Datatype t = MPI_DATATYPE_NULL;
  OwnedType() = default;
  OwnedType(OwnedType const&) = delete;
  OwnedType& operator=(OwnedType const&) = delete;
  ~OwnedType() {
    if (t != MPI_DATATYPE_NULL) MPI_Type_free(&t);
  }
};

// This rank's part of one tensor, cut along dimension 0 into slabs that fit
// the staging buffer.
struct BoxPlan {
  bool active = false;
  std::int64_t rows = 0, inner = 1, rows_per_slab = 1, slabs = 0;
};

BoxPlan plan_box(ShardedTensor const& p, bool writing, std::size_t max_es, std::uint64_t buffer_bytes) {
  BoxPlan bp;
  Box const& box = p.local_box();
  bp.active = box.numel() > 0 && (!writing || p.primary_replica());
  if (!bp.active) return bp;
  bp.rows = box.extent[0];
  for (std::size_t d = 1; d < box.extent.size(); ++d) bp.inner *= box.extent[d];
  std::uint64_t const row_bytes = static_cast<std::uint64_t>(bp.inner) * max_es;
  bp.rows_per_slab = std::max<std::int64_t>(1, static_cast<std::int64_t>(buffer_bytes / row_bytes));
  bp.rows_per_slab = std::min(bp.rows_per_slab, bp.rows);
  bp.slabs = (bp.rows + bp.rows_per_slab - 1) / bp.rows_per_slab;
  return bp;
}

template <class T>
using HostUnmanaged = Kokkos::View<T*, HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

template <class T>
void view_to_host(View1<T> const& v, std::int64_t begin, std::int64_t n, void* host) {
  HostUnmanaged<T> h(static_cast<T*>(host), static_cast<std::size_t>(n));
  Kokkos::deep_copy(h, Kokkos::subview(v, Kokkos::make_pair(begin, begin + n)));
}

template <class T>
void host_to_view(void const* host, View1<T> const& v, std::int64_t begin, std::int64_t n) {
  HostUnmanaged<T const> h(static_cast<T const*>(host), static_cast<std::size_t>(n));
  Kokkos::deep_copy(Kokkos::subview(v, Kokkos::make_pair(begin, begin + n)), h);
}

// One element type per stored dtype: raw little-endian bytes.
struct ElementTypes {
  OwnedType f32, bf16;
  ElementTypes() {
    MPI_Type_contiguous(4, MPI_BYTE, &f32.t);
    MPI_Type_commit(&f32.t);
    MPI_Type_contiguous(2, MPI_BYTE, &bf16.t);
    MPI_Type_commit(&bf16.t);
  }
  MPI_Datatype of(DType d) const { return d == DType::float32 ? f32.t : bf16.t; }
};

bool fits_int(std::int64_t v) { return v >= 0 && v <= INT_MAX; }

// Moves slab `s` of a tensor between `buf` (the slab's elements in local
// row-major order) and the file, collectively: every rank calls this the same
// number of times per tensor; a rank with nothing to move passes count 0.
void transfer_slab(MPI_File fh, bool writing, IoErrors& errors, std::string const& what, MPI_Offset offset,
                   ShardedTensor const& p, std::int64_t permute_heads, MPI_Datatype etype, std::size_t fes,
                   BoxPlan const& bp, std::int64_t s, void* buf) {
  OwnedType ftype, mtype;
  MPI_Datatype file_type = etype, mem_type = etype;
  int count = 0;
  if (bp.active && s < bp.slabs && errors.first.empty()) {
    Shape const& shape = p.shape();
    Box const& box = p.local_box();
    std::int64_t const a = s * bp.rows_per_slab, b = std::min(bp.rows, a + bp.rows_per_slab);
    if (permute_heads == 0) {
      int const nd = static_cast<int>(shape.size());
      std::vector<int> sizes(static_cast<std::size_t>(nd)), sub(static_cast<std::size_t>(nd)),
          starts(static_cast<std::size_t>(nd));
      bool ok = fits_int((b - a) * bp.inner);
      for (int d = 0; d < nd; ++d) {
        std::size_t const u = static_cast<std::size_t>(d);
        ok = ok && fits_int(shape[u]);
        sizes[u] = static_cast<int>(shape[u]);
        sub[u] = static_cast<int>(d == 0 ? b - a : box.extent[u]);
        starts[u] = static_cast<int>(d == 0 ? box.offset[0] + a : box.offset[u]);
      }
      if (!ok) {
        errors.fail(what + ": a dimension beyond 2^31 elements is not supported by this MPI-IO path");
      } else {
        errors.check(MPI_Type_create_subarray(nd, sizes.data(), sub.data(), starts.data(), MPI_ORDER_C, etype, &ftype.t),
                     "MPI_Type_create_subarray");
        errors.check(MPI_Type_commit(&ftype.t), "MPI_Type_commit");
        file_type = ftype.t;
        count = static_cast<int>((b - a) * bp.inner);
      }
    } else {
      // Rows land at permuted file rows: one block per row, in file order
      // (file views need non-decreasing displacements); the memory type
      // picks the same rows from the buffer, which stays in local order.
      std::int64_t const R = shape[0], C = shape[1], c0 = box.offset[1], ce = box.extent[1];
      std::vector<std::pair<std::int64_t, std::int64_t>> rows;
      rows.reserve(static_cast<std::size_t>(b - a));
      for (std::int64_t i = a; i < b; ++i) rows.emplace_back(hf_row(box.offset[0] + i, R, permute_heads), i - a);
      std::sort(rows.begin(), rows.end());
      std::vector<MPI_Aint> fdisp, mdisp;
      for (auto const& [frow, li] : rows) {
        fdisp.push_back(static_cast<MPI_Aint>((frow * C + c0) * static_cast<std::int64_t>(fes)));
        mdisp.push_back(static_cast<MPI_Aint>(li * ce * static_cast<std::int64_t>(fes)));
      }
      if (!fits_int(ce) || !fits_int(b - a)) {
        errors.fail(what + ": a row beyond 2^31 elements is not supported by this MPI-IO path");
      } else {
        int const n = static_cast<int>(b - a), len = static_cast<int>(ce);
        errors.check(MPI_Type_create_hindexed_block(n, len, fdisp.data(), etype, &ftype.t), "MPI_Type_create_hindexed_block");
        errors.check(MPI_Type_commit(&ftype.t), "MPI_Type_commit");
        errors.check(MPI_Type_create_hindexed_block(n, len, mdisp.data(), etype, &mtype.t), "MPI_Type_create_hindexed_block");
        errors.check(MPI_Type_commit(&mtype.t), "MPI_Type_commit");
        file_type = ftype.t;
        mem_type = mtype.t;
        count = 1;
      }
    }
    if (!errors.first.empty()) {  // a failed type: take part with nothing
      file_type = etype;
      mem_type = etype;
      count = 0;
    }
  }
  char native[] = "native";
  errors.check(MPI_File_set_view(fh, offset, etype, file_type, native, MPI_INFO_NULL), what + ": MPI_File_set_view");
  MPI_Status status;
  int const rc = writing ? MPI_File_write_all(fh, buf, count, mem_type, &status)
                         : MPI_File_read_all(fh, buf, count, mem_type, &status);
  errors.check(rc, what + (writing ? ": MPI_File_write_all" : ": MPI_File_read_all"));
  if (rc == MPI_SUCCESS && count > 0) {
    // Both readings of the status: whole items, and basic elements (bytes:
    // the element types are made of MPI_BYTE). Open MPI's OMPIO reports a
    // collective transfer as complete even when a write(2) under it failed,
    // so write_checkpoint_files also checks each file afterwards.
    int got = 0;
    MPI_Count elements = 0;
    MPI_Count const expected = (std::min(bp.rows, (s + 1) * bp.rows_per_slab) - s * bp.rows_per_slab) * bp.inner *
                               static_cast<MPI_Count>(fes);
    int const rc_count = MPI_Get_count(&status, mem_type, &got);
    int const rc_elements = MPI_Get_elements_x(&status, mem_type, &elements);
    if (rc_count != MPI_SUCCESS || rc_elements != MPI_SUCCESS || got != count || elements != expected)
      errors.fail(what + (writing ? ": short write (" : ": short read, the file ends early (") +
                  std::to_string(elements) + " of " + std::to_string(expected) + " bytes)");
  }
}

std::int64_t slab_elements(BoxPlan const& bp, std::int64_t s) {
  std::int64_t const a = s * bp.rows_per_slab, b = std::min(bp.rows, a + bp.rows_per_slab);
  return (b - a) * bp.inner;
}

// Slab s of p's local shard, as the file holds it, into `host`.
void slab_to_host(ShardedTensor const& p, BoxPlan const& bp, std::int64_t s, void* host) {
  std::int64_t const begin = s * bp.rows_per_slab * bp.inner, n = slab_elements(bp, s);
  if (p.dtype() == DType::float32) view_to_host(p.f32(), begin, n, host);
  else view_to_host(p.bf16(), begin, n, host);
}

// The file as the file system has it, independent of MPI-IO's own account
// (rank 0, after the file is closed): its size, its header read back, and
// the first hole (SEEK_HOLE; the size when there is none or the file system
// does not tell). A write that failed under a collective call shows here as
// a short file or, when a later write past it succeeded, as a hole.
void check_file_on_disk(std::string const& path, FileRecord const& f, std::string const& head, IoErrors& errors,
                        std::uint64_t& hole_at) {
  hole_at = f.size();
  int const fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return errors.fail(path + ": cannot be opened to check it: " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) != f.size()) {
    errors.fail(path + ": the file has " + std::to_string(st.st_size) + " bytes on disk but " +
                std::to_string(f.size()) + " were written (a write failed: no space left on the device, or a file-size limit?)");
    ::close(fd);
    return;
  }
  std::string back(head.size(), '\0');
  std::size_t done = 0;
  while (done < back.size()) {
    ssize_t const r = ::pread(fd, &back[done], back.size() - done, static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<std::size_t>(r);
  }
  if (done != back.size() || back != head) errors.fail(path + ": the header on disk differs from the one written");
  off_t const hole = ::lseek(fd, 0, SEEK_HOLE);
  if (hole >= 0 && static_cast<std::uint64_t>(hole) < f.size()) hole_at = static_cast<std::uint64_t>(hole);
  ::close(fd);
}


// What every rank moves per tensor: its slabs, and the number of collective
// calls per tensor (the most any rank needs).
struct WritePlan {
  std::vector<BoxPlan> plans;
  std::vector<long long> iters;
  std::size_t buffer_bytes = 0;  // the largest slab of this rank
};

WritePlan plan_writes(MPI_Comm comm, std::vector<CheckpointTensor> const& tensors, std::uint64_t buffer_bytes) {
  WritePlan w;
  for (auto const& t : tensors) {
    std::size_t const es = dtype_size(t.param->dtype());
    w.plans.push_back(plan_box(*t.param, true, es, buffer_bytes));
    w.iters.push_back(w.plans.back().slabs);
    if (w.plans.back().active)
      w.buffer_bytes = std::max<std::size_t>(
          w.buffer_bytes, static_cast<std::size_t>(w.plans.back().rows_per_slab * w.plans.back().inner) * es);
  }
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, w.iters.data(), static_cast<int>(w.iters.size()), MPI_LONG_LONG, MPI_MAX, comm));
  return w;
}

// Collective: every rank reads back the slabs it wrote to `path` (tensors
// first_tensor.. of file f) and compares them with its shards.
void verify_file_bytes(MPI_Comm comm, std::string const& path, FileRecord const& f,
                       std::vector<CheckpointTensor> const& tensors, std::size_t first_tensor, WritePlan const& w,
                       std::vector<std::uint64_t>& expected, std::vector<std::uint64_t>& found) {
  ElementTypes const et;
  IoErrors errors;
  MPI_File fh = MPI_FILE_NULL;
  errors.check(MPI_File_open(comm, path.c_str(), MPI_MODE_RDONLY, MPI_INFO_NULL, &fh), path + ": MPI_File_open (to verify)");
  errors.verdict(comm);
  for (std::size_t j = 0; j < f.tensors.size(); ++j) {
    std::size_t const k = first_tensor + j;
    ShardedTensor const& p = *tensors[k].param;
    BoxPlan const& bp = w.plans[k];
    std::size_t const es = dtype_size(p.dtype());
    MPI_Offset const offset = static_cast<MPI_Offset>(f.data_start() + f.tensors[j].begin);
    std::string const what = path + ": tensor '" + f.tensors[j].name + "'";
    for (long long s = 0; s < w.iters[k]; ++s) {
      bool const mine = bp.active && s < bp.slabs;
      if (mine && errors.first.empty()) slab_to_host(p, bp, s, expected.data());
      transfer_slab(fh, false, errors, what, offset, p, tensors[k].stored.permute_heads, et.of(p.dtype()), es, bp, s,
                    found.data());
      if (mine && errors.first.empty() &&
          std::memcmp(expected.data(), found.data(), static_cast<std::size_t>(slab_elements(bp, s)) * es) != 0)
        errors.fail(what + ": the bytes on disk differ from those written (a write was lost: no space left on the device?)");
    }
  }
  errors.check(MPI_File_close(&fh), path + ": MPI_File_close");
  errors.verdict(comm);
}

// Collective, after file f is closed: rank 0 checks it on disk
// (check_file_on_disk); a hole makes every rank read its bytes back.
// `errors` holds this rank's failures so far; the verdict is collective.
void check_written_file(MPI_Comm comm, std::string const& path, FileRecord const& f,
                        std::vector<CheckpointTensor> const& tensors, std::size_t first_tensor, WritePlan const& w,
                        std::vector<std::uint64_t>& buffer, IoErrors& errors) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::uint64_t hole_at = f.size();
  if (rank == 0 && errors.first.empty())
    check_file_on_disk(path, f, header_length_prefix(f.header.size()) + f.header, errors, hole_at);
  errors.verdict(comm);
  TITAN_MPI_CHECK(MPI_Bcast(&hole_at, 1, MPI_UINT64_T, 0, comm));
  if (hole_at >= f.size()) return;
  // A hole is a lost write, or a file system that stores zero blocks as
  // holes (ZFS with compression): the owners read their bytes back.
  std::vector<std::uint64_t> found;
  collective(comm, [&] { found.resize(buffer.size()); });
  verify_file_bytes(comm, path, f, tensors, first_tensor, w, buffer, found);
}

}  // namespace

void write_checkpoint_files(MPI_Comm comm, std::string const& dir, std::vector<FileRecord> const& files,
                            std::vector<CheckpointTensor> const& tensors, std::uint64_t buffer_bytes) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  ElementTypes const et;
  std::size_t n_total = 0;
  for (auto const& f : files) n_total += f.tensors.size();
  if (n_total != tensors.size()) throw RunError("internal: checkpoint plan and tensors disagree");
  WritePlan const w = plan_writes(comm, tensors, buffer_bytes);
  std::vector<std::uint64_t> buffer;
  collective(comm, [&] { buffer.resize((w.buffer_bytes + 7) / 8 + 1); });  // bad_alloc: every rank fails alike

  std::size_t k = 0;  // tensor index across files
  for (auto const& f : files) {
    IoErrors errors;
    std::string const path = dir + "/" + f.name;
    std::size_t const k0 = k;
    MPI_File fh = MPI_FILE_NULL;
    errors.check(MPI_File_open(comm, path.c_str(), MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &fh),
                 path + ": MPI_File_open");
    errors.verdict(comm);
    if (rank == 0) {
      std::string const head = header_length_prefix(f.header.size()) + f.header;
      MPI_Status st;
      int const rc = MPI_File_write_at(fh, 0, head.data(), static_cast<int>(head.size()), MPI_BYTE, &st);
      errors.check(rc, path + ": writing the header");
      int got = 0;
      if (rc == MPI_SUCCESS && (MPI_Get_count(&st, MPI_BYTE, &got) != MPI_SUCCESS || got != static_cast<int>(head.size())))
        errors.fail(path + ": short write of the header (" + std::to_string(got) + " of " + std::to_string(head.size()) +
                    " bytes)");
    }
    for (std::size_t j = 0; j < f.tensors.size(); ++j, ++k) {
      ShardedTensor const& p = *tensors[k].param;
      MPI_Offset const offset = static_cast<MPI_Offset>(f.data_start() + f.tensors[j].begin);
      std::string const what = path + ": tensor '" + f.tensors[j].name + "'";
      BoxPlan const& bp = w.plans[k];
      for (long long s = 0; s < w.iters[k]; ++s) {
        if (bp.active && s < bp.slabs && errors.first.empty()) slab_to_host(p, bp, s, buffer.data());
        transfer_slab(fh, true, errors, what, offset, p, tensors[k].stored.permute_heads, et.of(p.dtype()),
                      dtype_size(p.dtype()), bp, s, buffer.data());
      }
    }
    errors.check(MPI_File_sync(fh), path + ": MPI_File_sync");
    errors.check(MPI_File_close(&fh), path + ": MPI_File_close");
    // MPI-IO's success is not enough (OMPIO drops the write errors of
    // collective calls): the file itself is checked before anyone goes on.
    check_written_file(comm, path, f, tensors, k0, w, buffer, errors);
  }
}

void check_checkpoint_files(MPI_Comm comm, std::string const& dir, std::vector<FileRecord> const& files,
                            std::vector<CheckpointTensor> const& tensors, std::uint64_t buffer_bytes) {
  WritePlan const w = plan_writes(comm, tensors, buffer_bytes);
  std::vector<std::uint64_t> buffer;
  collective(comm, [&] { buffer.resize((w.buffer_bytes + 7) / 8 + 1); });
  std::size_t k = 0;
  for (auto const& f : files) {
    IoErrors errors;
    check_written_file(comm, dir + "/" + f.name, f, tensors, k, w, buffer, errors);
    k += f.tensors.size();
  }
}

void read_checkpoint_files(MPI_Comm comm, std::string const& dir, std::vector<std::string> const& file_names,
                           std::vector<CheckpointTensor> const& tensors, std::vector<TensorLocation> const& locations,
                           std::uint64_t buffer_bytes, SlabHook const& on_slab) {
  ElementTypes const et;
  if (locations.size() != tensors.size()) throw RunError("internal: checkpoint locations and tensors disagree");
  std::vector<BoxPlan> plans;
  std::vector<long long> iters;
  std::size_t file_bytes = 0, conv_bytes = 0;
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    ShardedTensor const& p = *tensors[k].param;
    std::size_t const fes = dtype_size(locations[k].dtype), pes = dtype_size(p.dtype());
    plans.push_back(plan_box(p, false, std::max(fes, pes), buffer_bytes));
    iters.push_back(plans.back().slabs);
    if (plans.back().active) {
      std::size_t const n = static_cast<std::size_t>(plans.back().rows_per_slab * plans.back().inner);
      file_bytes = std::max(file_bytes, n * fes);
      if (locations[k].dtype != p.dtype()) conv_bytes = std::max(conv_bytes, n * pes);
    }
  }
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, iters.data(), static_cast<int>(iters.size()), MPI_LONG_LONG, MPI_MAX, comm));
  std::vector<std::uint64_t> buffer((file_bytes + 7) / 8 + 1), converted((conv_bytes + 7) / 8 + 1);

  for (std::size_t fi = 0; fi < file_names.size(); ++fi) {
    IoErrors errors;
    std::string const path = dir + "/" + file_names[fi];
    MPI_File fh = MPI_FILE_NULL;
    errors.check(MPI_File_open(comm, path.c_str(), MPI_MODE_RDONLY, MPI_INFO_NULL, &fh), path + ": MPI_File_open");
    errors.verdict(comm);
    for (std::size_t k = 0; k < tensors.size(); ++k) {
      if (locations[k].file != static_cast<int>(fi)) continue;
      ShardedTensor const& p = *tensors[k].param;
      BoxPlan const& bp = plans[k];
      DType const fd = locations[k].dtype;
      std::string const what = path + ": tensor '" + tensors[k].stored.name + "'";
      for (long long s = 0; s < iters[k]; ++s) {
        transfer_slab(fh, false, errors, what, static_cast<MPI_Offset>(locations[k].offset), p,
                      tensors[k].stored.permute_heads, et.of(fd), dtype_size(fd), bp, s, buffer.data());
        if (!(bp.active && s < bp.slabs && errors.first.empty())) continue;
        std::int64_t const begin = s * bp.rows_per_slab * bp.inner, n = slab_elements(bp, s);
        void const* src = buffer.data();
        if (fd != p.dtype()) {
          if (fd == DType::float32) {  // float32 file -> bfloat16 parameter (round to nearest even)
            float const* in = reinterpret_cast<float const*>(buffer.data());
            bf16_bits* out = reinterpret_cast<bf16_bits*>(converted.data());
            for (std::int64_t i = 0; i < n; ++i) out[i] = float_to_bf16(in[i]);
          } else {  // bfloat16 file -> float32 parameter (exact)
            bf16_bits const* in = reinterpret_cast<bf16_bits const*>(buffer.data());
            float* out = reinterpret_cast<float*>(converted.data());
            for (std::int64_t i = 0; i < n; ++i) out[i] = bf16_to_float(in[i]);
          }
          src = converted.data();
        }
        if (p.dtype() == DType::float32) host_to_view(src, p.f32(), begin, n);
        else host_to_view(src, p.bf16(), begin, n);
        if (on_slab) on_slab(p, src, begin, n);
      }
    }
    errors.check(MPI_File_close(&fh), path + ": MPI_File_close");
    errors.verdict(comm);
  }
}

}  // namespace titan
