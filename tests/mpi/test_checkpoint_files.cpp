// The checks of written checkpoint files (issue 19, class 2), on 1, 2 and 3
// ranks: OMPIO can report a collective write as complete although write(2)
// failed, so check_checkpoint_files looks at the files themselves. A file
// cut short and a hole punched into written data (a lost write) are found;
// a hole over bytes that were written as zeros (a file system that stores
// zero blocks as holes, like ZFS with compression) is not a failure.
#include "mpi_helpers.hpp"

#include "titan/checkpoint/checkpoint_driver.hpp"
#include "titan/models/llama3/llama3_family.hpp"
#include "titan/parallel/collective.hpp"

#include <catch2/catch.hpp>
#include <mpi.h>

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <linux/falloc.h>
#include <unistd.h>

using namespace titan;
using titan_test::all_ranks;
using titan_test::world_rank;
using titan_test::world_size;

namespace {

// A scratch directory made by rank 0, known to every rank, removed at the end.
struct SharedTempDir {
  std::string path;
  SharedTempDir() {
    char name[] = "/tmp/titan_ckpt_files.XXXXXX";
    if (world_rank() == 0) path = ::mkdtemp(name) ? name : "";
    long long n = static_cast<long long>(path.size());
    MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    path.resize(static_cast<std::size_t>(n));
    MPI_Bcast(&path[0], static_cast<int>(n), MPI_CHAR, 0, MPI_COMM_WORLD);
  }
  ~SharedTempDir() {
    MPI_Barrier(MPI_COMM_WORLD);
    if (world_rank() == 0) std::filesystem::remove_all(path);
  }
};

// The message of the CollectiveError that fn throws on every rank ("" when none).
template <class F>
std::string collective_failure(F&& fn) {
  try {
    fn();
  } catch (CollectiveError const& e) {
    return e.what();
  }
  return "";
}

// Rank 0 punches a hole of `bytes` at `offset` (both multiples of 4096);
// false on every rank when the file system cannot.
bool punch_hole(std::string const& path, off_t offset, off_t bytes) {
  bool ok = true;
  if (world_rank() == 0) {
    int const fd = ::open(path.c_str(), O_RDWR);
    ok = fd >= 0 && ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, bytes) == 0;
    if (fd >= 0) ::close(fd);
  }
  return all_ranks(ok);
}

}  // namespace

TEST_CASE("check_checkpoint_files: short files and lost writes are found, zero holes are not", "[mpi][checkpoint]") {
  int const n = world_size();
  Llama3Args a = llama3_flavor("debugmodel");
  a.n_layers = 1;
  BuildContext ctx;
  ctx.mesh = Mesh::resolve(MeshRequest{{-1, 1, 1}}, n);
  ctx.rank = world_rank();
  auto model = llama3_config(a).build(ctx);
  InitContext ictx;
  ictx.seed = 11;
  model->init_states(ictx);
  // One tensor written as zeros: the stand-in for zero blocks a file system may store as holes.
  std::string const zero_fqn = "layers.0.feed_forward.w1.weight";
  for (auto const& p : model->parameters())
    if (p->fqn() == zero_fqn) Kokkos::deep_copy(p->f32(), 0.0f);

  std::vector<CheckpointTensor> const tensors =
      checkpoint_tensors(model->parameters(), model->buffers(), nullptr);
  std::vector<ModelTensorInfo> infos;
  std::vector<std::vector<PieceLayout>> layouts;
  for (auto const& t : tensors) {
    infos.push_back(t.info());
    layouts.push_back(t.layouts);
  }
  std::vector<TensorSpec> const specs = save_tensors(infos, layouts);
  std::vector<FileRecord> const files = plan_checkpoint_files(specs, 1u << 30, {{"program", "titan_app"}});
  REQUIRE(files.size() == 1);
  FileRecord const& f = files[0];
  SharedTempDir dir;
  REQUIRE(!dir.path.empty());
  std::uint64_t const buffer = 4096;  // many slabs per tensor
  REQUIRE(collective_failure([&] { write_checkpoint_files(MPI_COMM_WORLD, dir.path, files, tensors, buffer); }) == "");
  REQUIRE(collective_failure([&] { check_checkpoint_files(MPI_COMM_WORLD, dir.path, files, tensors, buffer); }) == "");
  std::string const path = dir.path + "/" + f.name;

  // Where each tensor lies in the file, rounded inwards to 4 KiB pages.
  auto page_inside = [&](std::string const& name, off_t& at) {
    for (auto const& t : f.tensors)
      if (t.name == name) {
        std::uint64_t const b = f.data_start() + t.begin, e = f.data_start() + t.end;
        std::uint64_t const first = (b + 4095) / 4096 * 4096;
        at = static_cast<off_t>(first);
        return first + 4096 <= e;
      }
    return false;
  };

  SECTION("a hole over zeros is what was written") {
    off_t at = 0;
    REQUIRE(page_inside(zero_fqn, at));
    if (!punch_hole(path, at, 4096)) {
      WARN("this file system cannot punch holes: not checked");
      return;
    }
    CHECK(collective_failure([&] { check_checkpoint_files(MPI_COMM_WORLD, dir.path, files, tensors, buffer); }) == "");
  }
  SECTION("a hole over written values is a lost write, named with its tensor") {
    off_t at = 0;
    REQUIRE(page_inside("layers.0.feed_forward.w2.weight", at));
    if (!punch_hole(path, at, 4096)) {
      WARN("this file system cannot punch holes: not checked");
      return;
    }
    std::string const m =
        collective_failure([&] { check_checkpoint_files(MPI_COMM_WORLD, dir.path, files, tensors, buffer); });
    CHECK_THAT(m, Catch::Contains("tensor 'layers.0.feed_forward.w2.weight': the bytes on disk differ from those written"));
  }
  SECTION("a file cut short") {
    if (world_rank() == 0) REQUIRE(::truncate(path.c_str(), static_cast<off_t>(f.size() - 1)) == 0);
    MPI_Barrier(MPI_COMM_WORLD);
    std::string const m =
        collective_failure([&] { check_checkpoint_files(MPI_COMM_WORLD, dir.path, files, tensors, buffer); });
    CHECK_THAT(m, Catch::Contains("the file has " + std::to_string(f.size() - 1) + " bytes on disk but " +
                                  std::to_string(f.size()) + " were written"));
  }
  SECTION("a header changed on disk") {
    if (world_rank() == 0) {
      int const fd = ::open(path.c_str(), O_WRONLY);
      REQUIRE(fd >= 0);
      REQUIRE(::pwrite(fd, "#", 1, 8) == 1);
      ::close(fd);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    std::string const m =
        collective_failure([&] { check_checkpoint_files(MPI_COMM_WORLD, dir.path, files, tensors, buffer); });
    CHECK_THAT(m, Catch::Contains("the header on disk differs from the one written"));
  }
}
