// Layout on 1-4 ranks, for every mesh of the world size: the mesh
// sub-communicators, the collective layout verification (passes on real
// layouts, fails on overlapping boxes, gaps and differing replicas), the
// planner against each rank's real allocation, and empty local shards.
#include "mpi_helpers.hpp"

#include "titan/app/layout_verification.hpp"
#include "titan/app/plan.hpp"
#include "titan/init/fingerprint.hpp"
#include "titan/models/llama3/llama3_family.hpp"

#include <catch2/catch.hpp>

#include <numeric>

using namespace titan;
using titan_test::all_ranks;
using titan_test::any_rank;
using titan_test::world_rank;
using titan_test::world_size;

namespace {

// Every (dp_shard, tp) mesh of `world` ranks that the debug model's 16 heads allow.
std::vector<Mesh> model_meshes(int world) {
  std::vector<Mesh> out;
  for (int t = 1; t <= world; ++t)
    if (world % t == 0 && 16 % t == 0) out.push_back(Mesh::resolve(MeshRequest{{-1, 1, t}}, world));
  return out;
}

// Every 3-D mesh of `world` ranks.
std::vector<Mesh> all_meshes(int world) {
  std::vector<Mesh> out;
  for (int e = 1; e <= world; ++e)
    for (int t = 1; t <= world / e; ++t)
      if (world % (e * t) == 0) out.push_back(Mesh::resolve(MeshRequest{{-1, e, t}}, world));
  return out;
}

Llama3Args small_model(std::int64_t vocab) {
  Llama3Args a = llama3_flavor("debugmodel");
  a.n_layers = 2;
  a.vocab_size = vocab;
  return a;
}

std::unique_ptr<Decoder> build(Llama3Args const& a, Mesh const& mesh, int rank, DType dtype, bool allocate) {
  BuildContext ctx;
  ctx.mesh = mesh;
  ctx.rank = rank;
  ctx.dtype = dtype;
  ctx.allocate = allocate;
  auto model = llama3_config(a).build(ctx);
  if (allocate) {
    InitContext ictx;
    ictx.seed = 7;
    model->init_states(ictx);
  }
  return model;
}

}  // namespace

TEST_CASE("MeshComm: the ranks that differ only along a set of mesh dimensions", "[mpi][layout]") {
  int const rank = world_rank(), size = world_size();
  for (Mesh const& mesh : all_meshes(size)) {
    INFO(mesh.describe());
    MeshComm const mc(mesh, MPI_COMM_WORLD);
    auto const c = mesh.coords(rank);
    bool ok = mc.rank() == rank && mc.coords() == c;
    for (MeshDimMask dims = 0; dims <= all_mesh_dims; ++dims) {
      MPI_Comm const comm = mc.along(dims);
      int sub_rank = -1, sub_size = -1;
      MPI_Comm_rank(comm, &sub_rank);
      MPI_Comm_size(comm, &sub_size);
      // Expected: size = product of the sizes in `dims`; rank = row-major index over `dims`.
      int expect_size = 1, expect_rank = 0;
      for (int m = 0; m < num_mesh_dims; ++m)
        if (dims & mesh_dim_bit(m)) {
          expect_size *= mesh.size(m);
          expect_rank = expect_rank * mesh.size(m) + c[m];
        }
      ok &= sub_size == expect_size && sub_rank == expect_rank;
      // Members: the world ranks sharing this rank's coordinates outside `dims`.
      long long members = rank, expect_members = 0;
      MPI_Allreduce(MPI_IN_PLACE, &members, 1, MPI_LONG_LONG, MPI_SUM, comm);
      for (int r = 0; r < size; ++r) {
        auto const rc = mesh.coords(r);
        bool same = true;
        for (int m = 0; m < num_mesh_dims; ++m) same &= (dims & mesh_dim_bit(m)) || rc[m] == c[m];
        if (same) expect_members += r;
      }
      ok &= members == expect_members;
    }
    ok &= mc.along_dim(tp) == mc.along(mesh_dim_bit(tp));
    CHECK(all_ranks(ok));
  }
}

TEST_CASE("MeshComm refuses a mesh of another world size", "[mpi][layout]") {
  Mesh const wrong = Mesh::resolve(MeshRequest{{-1, 1, 1}}, world_size() + 1);
  CHECK_THROWS_WITH(MeshComm(wrong, MPI_COMM_WORLD), Catch::Contains("but the communicator has"));
}

TEST_CASE("verify_layout passes and the planner matches each rank's allocation, on every mesh", "[mpi][layout]") {
  int const rank = world_rank(), size = world_size();
  for (std::int64_t vocab : {1001, 1}) {  // vocab 1: every rank but one holds an empty embedding shard
    for (DType dtype : {DType::float32, DType::bfloat16}) {
      for (Mesh const& mesh : model_meshes(size)) {
        INFO(mesh.describe() << " vocab " << vocab << " " << dtype_name(dtype));
        auto const real = build(small_model(vocab), mesh, rank, dtype, true);
        auto const params = real->parameters();

        LayoutVerdict const verdict = verify_model_layout(params, mesh, MPI_COMM_WORLD);
        INFO((verdict.problems.empty() ? std::string() : verdict.problems.front()));
        CHECK(verdict.ok);
        CHECK(verdict.problem_count == 0);

        // The planner sees a dry-run model (described on rank 0, nothing allocated).
        auto const described = build(small_model(vocab), mesh, 0, dtype, false);
        LayoutPlan const plan = plan_layout(described->parameters(), mesh);
        std::int64_t allocated = 0, elements = 0;
        for (auto const& p : params) {
          allocated += p->allocated_bytes();
          elements += p->local_numel();
        }
        CHECK(all_ranks(plan.bytes_per_rank.size() == static_cast<std::size_t>(size) &&
                        plan.bytes_per_rank[rank] == allocated && plan.params_per_rank[rank] == elements));
        RankLoad const planned = plan.load(), measured = measured_load(params, MPI_COMM_WORLD);
        CHECK(planned.bytes_min == measured.bytes_min);
        CHECK(planned.bytes_max == measured.bytes_max);
        CHECK(planned.params_min == measured.params_min);
        CHECK(planned.params_max == measured.params_max);
        CHECK(planned.bytes_avg == Approx(measured.bytes_avg));
        CHECK(planned.rank_of_max == measured.rank_of_max);
        CHECK(planned.largest_shard_bytes == measured.largest_shard_bytes);
        CHECK(planned.largest_shard_fqn == measured.largest_shard_fqn);
        CHECK(verify_planned_layout(described->parameters(), mesh).ok);
      }
    }
  }
}

TEST_CASE("empty local shards: values, statistics and fingerprint equal the unsharded model's", "[mpi][layout]") {
  int const rank = world_rank(), size = world_size();
  Llama3Args const a = small_model(1);  // [1, 256] embedding and output: one rank holds the row
  Mesh const one = Mesh::resolve(MeshRequest{{1, 1, 1}}, 1);
  auto const reference = build(a, one, 0, DType::float32, true);
  auto const ref_params = reference->parameters();
  for (Mesh const& mesh : model_meshes(size)) {
    INFO(mesh.describe());
    auto const model = build(a, mesh, rank, DType::float32, true);
    auto const params = model->parameters();
    std::size_t const n = params.size();
    std::vector<std::uint64_t> fp(n);
    std::vector<double> count(n), sum(n), lo(n), hi(n);
    bool some_empty = false;
    for (std::size_t i = 0; i < n; ++i) {
      ValueStats const s = params[i]->primary_replica() ? local_stats(*params[i]) : ValueStats::empty();
      fp[i] = s.fingerprint;
      count[i] = s.count;
      sum[i] = s.sum;
      lo[i] = s.min;
      hi[i] = s.max;
      some_empty |= params[i]->local_numel() == 0;
    }
    MPI_Allreduce(MPI_IN_PLACE, fp.data(), static_cast<int>(n), MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, count.data(), static_cast<int>(n), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, sum.data(), static_cast<int>(n), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, lo.data(), static_cast<int>(n), MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, hi.data(), static_cast<int>(n), MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    bool same = true;
    for (std::size_t i = 0; i < n; ++i) {
      ValueStats const r = local_stats(*ref_params[i]);
      same &= fp[i] == r.fingerprint && count[i] == r.count && lo[i] == r.min && hi[i] == r.max &&
              sum[i] == Approx(r.sum).margin(1e-9);
    }
    CHECK(same);
    if (size > 1) CHECK(any_rank(some_empty));
    CHECK(verify_model_layout(params, mesh, MPI_COMM_WORLD).ok);
  }
}

TEST_CASE("verification fails when every rank holds rank 0's boxes (overlap)", "[mpi][layout]") {
  int const size = world_size();
  if (size < 2) return;  // one rank cannot overlap itself
  Mesh const mesh = Mesh::resolve(MeshRequest{{-1, 1, 1}}, size);
  auto const model = build(small_model(1001), mesh, 0, DType::float32, true);  // everyone is "rank 0"
  LayoutVerdict const v = verify_model_layout(model->parameters(), mesh, MPI_COMM_WORLD);
  CHECK_FALSE(v.ok);
  CHECK(v.problem_count >= static_cast<std::int64_t>(model->parameters().size()));  // every tensor
  REQUIRE_FALSE(v.problems.empty());
  CHECK_THAT(v.problems.front(), Catch::Contains("held by both primary rank 0") ||
                                     Catch::Contains("more than the"));
  CHECK_THAT(describe_failure(v), Catch::StartsWith("layout verification failed: "));
}

TEST_CASE("verification fails when one replica's values differ", "[mpi][layout]") {
  int const rank = world_rank(), size = world_size();
  if (size < 2 || 16 % size != 0) return;  // tp = size must divide the 16 heads
  Mesh const mesh = Mesh::resolve(MeshRequest{{1, 1, -1}}, size);  // norms replicated over tp
  auto const model = build(small_model(1001), mesh, rank, DType::float32, true);
  for (auto const& p : model->parameters())
    if (p->fqn() == "norm.weight" && rank == size - 1) {
      auto v = p->f32();
      Kokkos::deep_copy(Kokkos::subview(v, std::make_pair(0, 1)), 2.0f);
    }
  LayoutVerdict const v = verify_model_layout(model->parameters(), mesh, MPI_COMM_WORLD);
  CHECK_FALSE(v.ok);
  REQUIRE(v.problems.size() == 1);
  CHECK_THAT(v.problems.front(), Catch::StartsWith("norm.weight: the replicas along tp of rank 0") &&
                                     Catch::Contains("hold different values"));
}

TEST_CASE("the distributed tiling check finds a gap in one tensor among many", "[mpi][layout]") {
  int const rank = world_rank(), size = world_size();
  Mesh const mesh = Mesh::resolve(MeshRequest{{-1, 1, 1}}, size);
  MeshComm const mc(mesh, MPI_COMM_WORLD);
  // Five 1-D tensors of 4 elements per rank (checked on ranks 0, 1, ... in
  // turn); in tensor 3 every rank leaves out its last element.
  std::vector<ShardRecord> shards;
  for (int t = 0; t < 5; ++t) {
    ShardRecord s;
    s.name = "t" + std::to_string(t);
    s.shape = {4 * size};
    s.placements = replicated();
    s.placements[dp_shard] = Placement::shard(0);
    s.box = Box{{4 * rank}, {t == 3 ? 3 : 4}};
    s.primary = true;
    s.stored = s.box.numel();
    shards.push_back(s);
  }
  LayoutVerdict const v = verify_layout(shards, mc);
  CHECK_FALSE(v.ok);
  CHECK(v.problem_count == 1);
  REQUIRE(v.problems.size() == 1);
  CHECK_THAT(v.problems.front(), Catch::StartsWith("t3 [" + std::to_string(4 * size) + "]: indices 3:4 of dimension 0 "
                                                   "are held by no box (a gap)"));
  // Storage that does not match the box is caught on the rank itself.
  shards[3].box.extent[0] = shards[3].stored = 4;
  shards[1].stored = rank == 0 ? 3 : 4;
  LayoutVerdict const w = verify_layout(shards, mc);
  CHECK_FALSE(w.ok);
  INFO(describe_failure(w));
  REQUIRE(w.problems.size() == 1);
  CHECK_THAT(w.problems.front(), Catch::Contains("t1: rank 0 (dp_shard=0, ep=0, tp=0) stores 3 elements but its box"));
}
