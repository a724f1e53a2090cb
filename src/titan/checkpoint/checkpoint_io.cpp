#include "titan/checkpoint/checkpoint_io.hpp"

#include "titan/core/bf16.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/types.hpp"
#include "titan/parallel/collective.hpp"

#include <algorithm>
#include <climits>
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

BoxPlan plan_box(Parameter const& p, bool writing, std::size_t max_es, std::uint64_t buffer_bytes) {
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
                   Parameter const& p, std::int64_t permute_heads, MPI_Datatype etype, std::size_t fes,
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
    int got = 0;
    MPI_Get_count(&status, mem_type, &got);
    if (got != count)
      errors.fail(what + (writing ? ": short write" : ": short read (the file ends early)"));
  }
}

std::int64_t slab_elements(BoxPlan const& bp, std::int64_t s) {
  std::int64_t const a = s * bp.rows_per_slab, b = std::min(bp.rows, a + bp.rows_per_slab);
  return (b - a) * bp.inner;
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

  // Slab counts: the collective calls per tensor are the most any rank needs.
  std::vector<BoxPlan> plans;
  std::vector<long long> iters;
  std::size_t buf_elems_bytes = 0;
  for (auto const& t : tensors) {
    std::size_t const es = dtype_size(t.param->dtype());
    plans.push_back(plan_box(*t.param, true, es, buffer_bytes));
    iters.push_back(plans.back().slabs);
    if (plans.back().active)
      buf_elems_bytes = std::max<std::size_t>(buf_elems_bytes, static_cast<std::size_t>(plans.back().rows_per_slab * plans.back().inner) * es);
  }
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, iters.data(), static_cast<int>(iters.size()), MPI_LONG_LONG, MPI_MAX, comm));
  std::vector<std::uint64_t> buffer((buf_elems_bytes + 7) / 8 + 1);

  std::size_t k = 0;  // tensor index across files
  for (auto const& f : files) {
    IoErrors errors;
    std::string const path = dir + "/" + f.name;
    MPI_File fh = MPI_FILE_NULL;
    errors.check(MPI_File_open(comm, path.c_str(), MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &fh),
                 path + ": MPI_File_open");
    errors.verdict(comm);
    if (rank == 0) {
      std::string const head = header_length_prefix(f.header.size()) + f.header;
      MPI_Status st;
      errors.check(MPI_File_write_at(fh, 0, head.data(), static_cast<int>(head.size()), MPI_BYTE, &st),
                   path + ": writing the header");
    }
    for (std::size_t j = 0; j < f.tensors.size(); ++j, ++k) {
      Parameter const& p = *tensors[k].param;
      MPI_Offset const offset = static_cast<MPI_Offset>(f.data_start() + f.tensors[j].begin);
      std::string const what = path + ": tensor '" + f.tensors[j].name + "'";
      for (long long s = 0; s < iters[k]; ++s) {
        BoxPlan const& bp = plans[k];
        if (bp.active && s < bp.slabs && errors.first.empty()) {
          std::int64_t const begin = s * bp.rows_per_slab * bp.inner, n = slab_elements(bp, s);
          if (p.dtype() == DType::float32) view_to_host(p.f32(), begin, n, buffer.data());
          else view_to_host(p.bf16(), begin, n, buffer.data());
        }
        transfer_slab(fh, true, errors, what, offset, p, tensors[k].stored.permute_heads, et.of(p.dtype()),
                      dtype_size(p.dtype()), bp, s, buffer.data());
      }
    }
    errors.check(MPI_File_sync(fh), path + ": MPI_File_sync");
    errors.check(MPI_File_close(&fh), path + ": MPI_File_close");
    errors.verdict(comm);
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
    Parameter const& p = *tensors[k].param;
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
      Parameter const& p = *tensors[k].param;
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
