#include "titan/checkpoint/checkpoint_io.hpp"

#include "titan/checkpoint/quantized_formats.hpp"
#include "titan/core/bf16.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/types.hpp"
#include "titan/parallel/collective.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace titan {

// ---- CheckpointTensor --------------------------------------------------------

std::string const& CheckpointTensor::fqn() const { return param ? param->fqn() : buffer->fqn(); }

DType CheckpointTensor::dtype() const { return param ? param->dtype() : DType::float32; }

ModelTensorInfo CheckpointTensor::info() const {
  ModelTensorInfo i;
  i.fqn = fqn();
  i.shape = param ? param->shape() : buffer->shape();
  i.dtype = dtype();
  auto const* as_param = dynamic_cast<Parameter const*>(param.get());
  i.tied = as_param != nullptr && !as_param->aliases().empty();
  i.buffer = !param;
  return i;
}

Box CheckpointTensor::box() const {
  if (param) return param->local_box();
  Box b;
  b.offset = Shape(buffer->shape().size(), 0);
  b.extent = buffer->shape();
  return b;
}

bool CheckpointTensor::writer(int rank) const { return param ? param->primary_replica() : rank == 0; }

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

// Elements [begin, begin + n) of a tensor's local storage <-> host memory.
void copy_out(CheckpointTensor const& t, std::int64_t begin, std::int64_t n, void* host) {
  if (t.buffer) view_to_host(t.buffer->data(), begin, n, host);
  else if (t.param->dtype() == DType::float32) view_to_host(t.param->f32(), begin, n, host);
  else view_to_host(t.param->bf16(), begin, n, host);
}
void copy_in(CheckpointTensor const& t, void const* host, std::int64_t begin, std::int64_t n) {
  if (t.buffer) host_to_view(host, t.buffer->data(), begin, n);
  else if (t.param->dtype() == DType::float32) host_to_view(host, t.param->f32(), begin, n);
  else host_to_view(host, t.param->bf16(), begin, n);
}

// One element type per element size: raw little-endian bytes.
struct ElementTypes {
  OwnedType b1, b2, b4, b8;
  ElementTypes() {
    for (auto [n, t] : {std::pair<int, OwnedType*>{1, &b1}, {2, &b2}, {4, &b4}, {8, &b8}}) {
      MPI_Type_contiguous(n, MPI_BYTE, &t->t);
      MPI_Type_commit(&t->t);
    }
  }
  MPI_Datatype of(std::size_t size) const { return size == 1 ? b1.t : size == 2 ? b2.t : size == 4 ? b4.t : b8.t; }
};

bool fits_int(std::int64_t v) { return v >= 0 && v <= INT_MAX; }

// One slab of one piece of one model tensor, moved by this rank.
struct Item {
  std::size_t tensor = 0;
  StoredPiece const* piece = nullptr;
  PieceSlab slab;
};

// The slabs of this rank's box in `piece`, each at most `buffer_bytes` of
// `bytes_per_element` (at least one row of model dimension 0).
void add_items(std::vector<Item>& items, std::size_t k, CheckpointTensor const& t, StoredPiece const& piece,
               std::size_t bytes_per_element, std::uint64_t buffer_bytes) {
  Box const b = t.box();
  if (b.numel() == 0) return;
  std::int64_t inner = 1;
  for (std::size_t d = 1; d < b.extent.size(); ++d) inner *= b.extent[d];
  std::uint64_t const row_bytes = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(inner) * bytes_per_element);
  std::int64_t const cap = std::max<std::int64_t>(1, static_cast<std::int64_t>(buffer_bytes / row_bytes));
  Extents from(b.offset.begin(), b.offset.end()), extent(b.extent.begin(), b.extent.end());
  if (from.empty()) {  // a scalar: one "row"
    from = {0};
    extent = {1};
  }
  for (PieceSlab& s : piece_slabs(piece, from, extent, cap)) items.push_back({k, &piece, std::move(s)});
}

// The file box one collective call moves: the stored (or blocks) tensor's
// full shape, the box's start and size, and the rows' permutation.
struct FileBox {
  Extents shape, start, size;
  std::int64_t rope_heads = 0;  // with the box's rows [start[0], start[0] + size[0]) of a 2-D tensor
};

// One collective call over `fh`: this rank moves `box` (nothing when null)
// between the file and `buf` (the box's elements in row-major order), or
// takes part with nothing. Every rank makes the same number of calls.
void transfer(MPI_File fh, bool writing, IoErrors& errors, std::string const& what, MPI_Offset offset,
              FileBox const* box, MPI_Datatype etype, std::size_t es, void* buf) {
  OwnedType ftype, mtype;
  MPI_Datatype file_type = etype, mem_type = etype;
  int count = 0;
  MPI_Count expected = 0;  // bytes this rank moves
  if (box && errors.first.empty()) {
    std::int64_t n = 1;
    for (auto e : box->size) n *= e;
    expected = static_cast<MPI_Count>(n) * static_cast<MPI_Count>(es);
    if (box->rope_heads == 0) {
      int const nd = static_cast<int>(box->shape.size());
      std::vector<int> sizes(static_cast<std::size_t>(nd)), sub(static_cast<std::size_t>(nd)), starts(static_cast<std::size_t>(nd));
      bool ok = fits_int(n);
      for (std::size_t d = 0; d < box->shape.size(); ++d) {
        ok = ok && fits_int(box->shape[d]);
        sizes[d] = static_cast<int>(box->shape[d]);
        sub[d] = static_cast<int>(box->size[d]);
        starts[d] = static_cast<int>(box->start[d]);
      }
      if (!ok) {
        errors.fail(what + ": a dimension beyond 2^31 elements is not supported by this MPI-IO path");
      } else if (nd == 0) {
        count = 1;  // a scalar: the view's displacement is the element
      } else {
        errors.check(MPI_Type_create_subarray(nd, sizes.data(), sub.data(), starts.data(), MPI_ORDER_C, etype, &ftype.t),
                     "MPI_Type_create_subarray");
        errors.check(MPI_Type_commit(&ftype.t), "MPI_Type_commit");
        file_type = ftype.t;
        count = static_cast<int>(n);
      }
    } else {
      // Rows land at permuted file rows: one block per row, in file order
      // (file views need non-decreasing displacements); the memory type
      // picks the same rows from the buffer, which stays in model order.
      std::int64_t const R = box->shape[0], C = box->shape[1], c0 = box->start[1], ce = box->size[1];
      std::int64_t const a = box->start[0], b = a + box->size[0];
      std::vector<std::pair<std::int64_t, std::int64_t>> rows;
      rows.reserve(static_cast<std::size_t>(b - a));
      for (std::int64_t i = a; i < b; ++i) rows.emplace_back(hf_rope_row(i, R, box->rope_heads), i - a);
      std::sort(rows.begin(), rows.end());
      std::vector<MPI_Aint> fdisp, mdisp;
      for (auto const& [frow, li] : rows) {
        fdisp.push_back(static_cast<MPI_Aint>((frow * C + c0) * static_cast<std::int64_t>(es)));
        mdisp.push_back(static_cast<MPI_Aint>(li * ce * static_cast<std::int64_t>(es)));
      }
      if (!fits_int(ce) || !fits_int(b - a)) {
        errors.fail(what + ": a row beyond 2^31 elements is not supported by this MPI-IO path");
      } else {
        int const nr = static_cast<int>(b - a), len = static_cast<int>(ce);
        errors.check(MPI_Type_create_hindexed_block(nr, len, fdisp.data(), etype, &ftype.t), "MPI_Type_create_hindexed_block");
        errors.check(MPI_Type_commit(&ftype.t), "MPI_Type_commit");
        errors.check(MPI_Type_create_hindexed_block(nr, len, mdisp.data(), etype, &mtype.t), "MPI_Type_create_hindexed_block");
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
    int const rc_count = MPI_Get_count(&status, mem_type, &got);
    int const rc_elements = MPI_Get_elements_x(&status, mem_type, &elements);
    if (rc_count != MPI_SUCCESS || rc_elements != MPI_SUCCESS || got != count || elements != expected)
      errors.fail(what + (writing ? ": short write (" : ": short read, the file ends early (") +
                  std::to_string(elements) + " of " + std::to_string(expected) + " bytes)");
  }
}

// A host buffer of at least `bytes`, 8-byte aligned.
struct HostBuffer {
  std::vector<std::uint64_t> words;
  void* reserve(std::uint64_t bytes) {
    std::size_t const n = static_cast<std::size_t>((bytes + 7) / 8 + 1);
    if (words.size() < n) words.resize(n);
    return words.data();
  }
};

// The collective calls each stored tensor needs: the most items any rank has.
std::vector<long long> calls_per_tensor(MPI_Comm comm, std::vector<std::vector<Item>> const& items) {
  std::vector<long long> n(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) n[i] = static_cast<long long>(items[i].size());
  if (!n.empty())
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, n.data(), static_cast<int>(n.size()), MPI_LONG_LONG, MPI_MAX, comm));
  return n;
}

// What this rank writes: its items per stored tensor (in file order) and
// the collective calls per stored tensor (the most any rank needs).
struct WriteItems {
  std::vector<std::vector<Item>> items;
  std::vector<long long> calls;
};

WriteItems plan_write_items(MPI_Comm comm, std::vector<FileRecord> const& files,
                            std::vector<CheckpointTensor> const& tensors, std::uint64_t buffer_bytes) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  WriteItems w;
  std::map<std::string, std::size_t> slot;
  for (auto const& f : files)
    for (auto const& t : f.tensors) {
      slot[t.name] = w.items.size();
      w.items.emplace_back();
    }
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    CheckpointTensor const& t = tensors[k];
    if (t.layouts.empty() || !t.writer(rank)) continue;
    for (StoredPiece const& p : t.layouts[0]) {
      auto const s = slot.find(p.tensor);
      if (s == slot.end()) throw RunError("internal: stored tensor " + p.tensor + " is not in the file plan");
      add_items(w.items[s->second], k, t, p, dtype_size(t.dtype()), buffer_bytes);
    }
  }
  w.calls = calls_per_tensor(comm, w.items);
  return w;
}

// The bytes item `it` puts into the file (its slab, in the stored order), in
// `stage` (or `packed` when the piece reorders); returns where they are.
void* item_bytes(CheckpointTensor const& t, Item const& it, std::size_t es, HostBuffer& stage, HostBuffer& packed) {
  std::int64_t const n = it.slab.numel();
  void* model = stage.reserve(static_cast<std::uint64_t>(n) * es);
  copy_out(t, it.slab.local_begin, n, model);
  if (same_order(*it.piece)) return model;
  void* buf = packed.reserve(static_cast<std::uint64_t>(n) * es);
  model_to_stored(*it.piece, it.slab, es, model, buf);
  return buf;
}

FileBox file_box(TensorRecord const& rec, Item const& it) {
  FileBox box;
  box.shape = rec.shape;
  box.start = it.slab.stored_from;
  box.size = it.slab.stored_extent;
  box.rope_heads = it.piece->rope_heads;
  return box;
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

// Collective: every rank reads back the items it wrote to `path` (stored
// tensors first.. of file f) and compares them with its shards.
void verify_file_bytes(MPI_Comm comm, std::string const& path, FileRecord const& f, std::size_t first,
                       WriteItems const& w, std::vector<CheckpointTensor> const& tensors) {
  ElementTypes const et;
  IoErrors errors;
  MPI_File fh = MPI_FILE_NULL;
  errors.check(MPI_File_open(comm, path.c_str(), MPI_MODE_RDONLY, MPI_INFO_NULL, &fh), path + ": MPI_File_open (to verify)");
  errors.verdict(comm);
  HostBuffer stage, packed, found;
  std::size_t i = first;
  for (TensorRecord const& rec : f.tensors) {
    std::vector<Item> const& mine = w.items[i];
    std::size_t const es = stored_dtype_size(rec.dtype);
    MPI_Offset const offset = static_cast<MPI_Offset>(f.data_start() + rec.begin);
    std::string const what = path + ": tensor '" + rec.name + "'";
    for (long long c = 0; c < w.calls[i]; ++c) {
      FileBox box;
      void *expected = nullptr, *buf = nullptr;
      std::int64_t n = 0;
      bool active = c < static_cast<long long>(mine.size()) && errors.first.empty();
      if (active) {
        try {
          Item const& it = mine[static_cast<std::size_t>(c)];
          n = it.slab.numel();
          expected = item_bytes(tensors[it.tensor], it, es, stage, packed);
          buf = found.reserve(static_cast<std::uint64_t>(n) * es);
          box = file_box(rec, it);
        } catch (std::exception const& e) {  // bad_alloc: this rank takes part with nothing
          errors.fail(what + ": " + e.what());
          active = false;
        }
      }
      transfer(fh, false, errors, what, offset, active ? &box : nullptr, et.of(es), es, buf);
      if (active && errors.first.empty() && std::memcmp(expected, buf, static_cast<std::size_t>(n) * es) != 0)
        errors.fail(what + ": the bytes on disk differ from those written (a write was lost: no space left on the device?)");
    }
    ++i;
  }
  errors.check(MPI_File_close(&fh), path + ": MPI_File_close");
  errors.verdict(comm);
}

// Collective, after file f is closed: rank 0 checks it on disk
// (check_file_on_disk); a hole makes every rank read its bytes back.
// `errors` holds this rank's failures so far; the verdict is collective.
void check_written_file(MPI_Comm comm, std::string const& path, FileRecord const& f, std::size_t first,
                        WriteItems const& w, std::vector<CheckpointTensor> const& tensors, IoErrors& errors) {
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
  verify_file_bytes(comm, path, f, first, w, tensors);
}

}  // namespace

void write_checkpoint_files(MPI_Comm comm, std::string const& dir, std::vector<FileRecord> const& files,
                            std::vector<CheckpointTensor> const& tensors, std::uint64_t buffer_bytes) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  ElementTypes const et;
  WriteItems const w = plan_write_items(comm, files, tensors, buffer_bytes);
  HostBuffer stage, packed;

  std::size_t i = 0;  // stored tensor index across files
  for (auto const& f : files) {
    IoErrors errors;
    std::string const path = dir + "/" + f.name;
    std::size_t const first = i;
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
    for (TensorRecord const& rec : f.tensors) {
      std::vector<Item> const& mine = w.items[i];
      std::size_t const es = stored_dtype_size(rec.dtype);
      MPI_Offset const offset = static_cast<MPI_Offset>(f.data_start() + rec.begin);
      std::string const what = path + ": tensor '" + rec.name + "'";
      for (long long c = 0; c < w.calls[i]; ++c) {
        FileBox box;
        void* buf = nullptr;
        bool active = c < static_cast<long long>(mine.size()) && errors.first.empty();
        if (active) {
          try {
            Item const& it = mine[static_cast<std::size_t>(c)];
            buf = item_bytes(tensors[it.tensor], it, es, stage, packed);
            box = file_box(rec, it);
          } catch (std::exception const& e) {  // bad_alloc: this rank takes part with nothing
            errors.fail(what + ": " + e.what());
            active = false;
          }
        }
        transfer(fh, true, errors, what, offset, active ? &box : nullptr, et.of(es), es, buf);
      }
      ++i;
    }
    errors.check(MPI_File_sync(fh), path + ": MPI_File_sync");
    errors.check(MPI_File_close(&fh), path + ": MPI_File_close");
    // MPI-IO's success is not enough (OMPIO drops the write errors of
    // collective calls): the file itself is checked before anyone goes on.
    check_written_file(comm, path, f, first, w, tensors, errors);
  }
}

void check_checkpoint_files(MPI_Comm comm, std::string const& dir, std::vector<FileRecord> const& files,
                            std::vector<CheckpointTensor> const& tensors, std::uint64_t buffer_bytes) {
  WriteItems const w = plan_write_items(comm, files, tensors, buffer_bytes);
  std::size_t i = 0;
  for (auto const& f : files) {
    IoErrors errors;
    check_written_file(comm, dir + "/" + f.name, f, i, w, tensors, errors);
    i += f.tensors.size();
  }
}

namespace {

// Plain POSIX reads of the small scale tensors (FP8 block scales, MXFP4
// scales), each rank for its own boxes, beside the collective data reads.
class ScaleReader {
 public:
  ScaleReader(std::string dir, std::vector<std::string> const& files) : _dir(std::move(dir)), _files(files) {}
  ~ScaleReader() {
    for (auto const& [f, fd] : _fds) ::close(fd);
  }
  ScaleReader(ScaleReader const&) = delete;
  ScaleReader& operator=(ScaleReader const&) = delete;

  void read(int file, std::uint64_t offset, std::uint64_t n, void* out) {
    std::string const path = _dir + "/" + _files[static_cast<std::size_t>(file)];
    auto it = _fds.find(file);
    if (it == _fds.end()) {
      std::uint64_t size = 0;
      it = _fds.emplace(file, open_regular_file(path, "a safetensors file", size)).first;
    }
    read_exactly(it->second, path, offset, n, static_cast<char*>(out));
  }

  // The scales the slab's stored box needs (see StoredDecode).
  void fetch(StoredSource const& s, PieceSlab const& slab, StoredDecode& d) {
    if (s.encoding == StoredEncoding::fp8_block) {
      std::int64_t const r0 = slab.stored_from[0] / fp8_block;
      std::int64_t const r1 = (slab.stored_from[0] + slab.stored_extent[0] - 1) / fp8_block + 1;
      std::int64_t const cols = s.scale_shape[1];
      std::size_t const es = stored_dtype_size(s.scale_dtype);
      std::vector<char> raw(static_cast<std::size_t>((r1 - r0) * cols) * es);
      read(s.scale_file, s.scale_offset + static_cast<std::uint64_t>(r0 * cols) * es, raw.size(), raw.data());
      d.scale_row0 = r0;
      d.scale_cols = cols;
      d.scales.resize(static_cast<std::size_t>((r1 - r0) * cols));
      for (std::size_t j = 0; j < d.scales.size(); ++j) {
        if (s.scale_dtype == StoredDType::F32) {
          std::memcpy(&d.scales[j], raw.data() + 4 * j, 4);
        } else {
          std::uint16_t h;
          std::memcpy(&h, raw.data() + 2 * j, 2);
          d.scales[j] = bf16_to_float(h);
        }
      }
    } else if (s.encoding == StoredEncoding::mxfp4) {
      // scales [..., G]: the box's rows (all dimensions but the last), each
      // groups [group0, group0 + groups): one read per row, or per run of
      // whole rows when the box spans every group.
      std::size_t const sn = slab.stored_extent.size();
      std::int64_t const G = s.scale_shape[sn - 1];
      std::int64_t const c0 = slab.stored_from[sn - 1], c1 = c0 + slab.stored_extent[sn - 1];
      d.group0 = c0 / mxfp4_block;
      d.groups = (c1 + mxfp4_block - 1) / mxfp4_block - d.group0;
      std::int64_t rows = 1;
      for (std::size_t k = 0; k + 1 < sn; ++k) rows *= slab.stored_extent[k];
      d.scale_bytes.resize(static_cast<std::size_t>(rows * d.groups));
      Extents idx(sn - 1, 0);
      for (std::int64_t q = 0; q < rows;) {
        std::int64_t flat = 0;  // the row's index in the scale tensor's rows
        for (std::size_t k = 0; k + 1 < sn; ++k) flat = flat * s.scale_shape[k] + slab.stored_from[k] + idx[k];
        // Rows consecutive in the box and in the file: the rest of the last row dimension when every group is read.
        std::int64_t run = 1;
        if (d.groups == G && sn >= 2) run = slab.stored_extent[sn - 2] - idx[sn - 2];
        read(s.scale_file, s.scale_offset + static_cast<std::uint64_t>(flat * G + d.group0),
             static_cast<std::uint64_t>(run * d.groups), d.scale_bytes.data() + q * d.groups);
        q += run;
        for (std::int64_t step = 0; step < run && sn >= 2; ++step) {  // advance the row odometer by `run`
          std::size_t k = sn - 1;
          while (k-- > 0) {
            if (++idx[k] < slab.stored_extent[k]) break;
            idx[k] = 0;
          }
        }
      }
    }
  }

 private:
  std::string _dir;
  std::vector<std::string> const& _files;
  std::map<int, int> _fds;
};

}  // namespace

void read_checkpoint_files(MPI_Comm comm, std::string const& dir, LoadPlan const& plan,
                           std::vector<CheckpointTensor> const& tensors, std::uint64_t buffer_bytes,
                           SlabHook const& on_slab) {
  if (plan.choice.size() != tensors.size()) throw RunError("internal: the load plan and the tensors disagree");
  ElementTypes const et;
  std::map<std::string, std::size_t> source_of;
  for (std::size_t s = 0; s < plan.sources.size(); ++s) source_of[plan.sources[s].name] = s;
  std::vector<std::vector<Item>> items(plan.sources.size());
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    if (plan.choice[k] < 0) continue;
    CheckpointTensor const& t = tensors[k];
    for (StoredPiece const& p : t.layouts[static_cast<std::size_t>(plan.choice[k])]) {
      auto const s = source_of.find(p.tensor);
      if (s == source_of.end()) throw RunError("internal: stored tensor " + p.tensor + " is not in the load plan");
      std::size_t const es = std::max(dtype_size(t.dtype()), stored_dtype_size(plan.sources[s->second].dtype));
      add_items(items[s->second], k, t, p, 2 * es, buffer_bytes);
    }
  }
  std::vector<long long> const calls = calls_per_tensor(comm, items);
  HostBuffer stage, raw;
  ScaleReader scales(dir, plan.files);

  for (std::size_t fi = 0; fi < plan.files.size(); ++fi) {
    IoErrors errors;
    std::string const path = dir + "/" + plan.files[fi];
    MPI_File fh = MPI_FILE_NULL;
    errors.check(MPI_File_open(comm, path.c_str(), MPI_MODE_RDONLY, MPI_INFO_NULL, &fh), path + ": MPI_File_open");
    errors.verdict(comm);
    for (std::size_t si = 0; si < plan.sources.size(); ++si) {
      StoredSource const& src = plan.sources[si];
      if (src.file != static_cast<int>(fi)) continue;
      std::vector<Item> const& mine = items[si];
      bool const mx = src.encoding == StoredEncoding::mxfp4;
      std::size_t const es = mx ? 1 : stored_dtype_size(src.dtype);
      std::string const what = path + ": tensor '" + src.name + (mx ? "_blocks'" : "'");
      for (long long c = 0; c < calls[si]; ++c) {
        FileBox box;
        StoredDecode decode;
        void* buf = nullptr;
        Item const* it = nullptr;
        if (c < static_cast<long long>(mine.size()) && errors.first.empty()) {
          it = &mine[static_cast<std::size_t>(c)];
          decode.encoding = src.encoding;
          decode.dtype = src.dtype;
          try {
            scales.fetch(src, it->slab, decode);
          } catch (std::exception const& e) {
            errors.fail(e.what());
            it = nullptr;
          }
        }
        // The common case (plain, the model's dtype, the model's order): read straight into the stage.
        bool direct = false;
        if (it) {
          direct = decode.encoding == StoredEncoding::plain && decode.dtype == stored_dtype_of(tensors[it->tensor].dtype()) &&
                   same_order(*it->piece);
          try {
            buf = direct ? stage.reserve(stored_box_bytes(it->slab, decode)) : raw.reserve(stored_box_bytes(it->slab, decode));
          } catch (std::exception const& e) {  // bad_alloc: this rank takes part with nothing
            errors.fail(what + ": " + e.what());
            it = nullptr;
          }
        }
        if (it) {
          box.shape = src.data_shape;
          box.start = it->slab.stored_from;
          box.size = it->slab.stored_extent;
          if (mx) {  // the 16-byte blocks covering the box's last dimension
            box.start.back() = decode.group0;
            box.size.back() = decode.groups;
            box.start.push_back(0);
            box.size.push_back(16);
          }
          box.rope_heads = it->piece->rope_heads;
        }
        transfer(fh, false, errors, what, static_cast<MPI_Offset>(src.offset), it ? &box : nullptr, et.of(es), es, buf);
        if (!it || !errors.first.empty()) continue;
        CheckpointTensor const& t = tensors[it->tensor];
        std::int64_t const n = it->slab.numel();
        try {
          void* model = direct ? buf : stage.reserve(static_cast<std::uint64_t>(n) * dtype_size(t.dtype()));
          if (!direct) stored_to_model(*it->piece, it->slab, decode, buf, t.dtype(), model);
          copy_in(t, model, it->slab.local_begin, n);
          if (on_slab && t.param) on_slab(*t.param, model, it->slab.local_begin, n);
        } catch (std::exception const& e) {
          errors.fail(what + ": " + e.what());
        }
      }
    }
    errors.check(MPI_File_close(&fh), path + ": MPI_File_close");
    errors.verdict(comm);
  }
}

}  // namespace titan
