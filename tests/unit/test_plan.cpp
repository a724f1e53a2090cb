// The planner: plan_layout()'s per-rank loads (computed once per distinct
// layout) equal a brute-force sum of local_box() over every rank and every
// parameter, and verify_planned_layout() accepts what local_box() makes.
#include "titan/app/plan.hpp"
#include "titan/models/llama3/llama3_family.hpp"

#include <catch2/catch.hpp>

using namespace titan;

namespace {

std::unique_ptr<Decoder> dry_build(Llama3Args const& a, Mesh const& mesh) {
  BuildContext ctx;
  ctx.mesh = mesh;
  ctx.allocate = false;
  return llama3_config(a).build(ctx);
}

Llama3Args uneven_debug_model() {
  Llama3Args a = llama3_flavor("debugmodel");
  a.n_layers = 2;
  a.vocab_size = 1001;  // odd: short trailing shards
  a.n_kv_heads = 4;     // wk, wv: 64 rows, fewer than the ranks of some meshes below
  return a;
}

}  // namespace

TEST_CASE("plan_layout equals the brute-force sum of local_box over ranks and parameters", "[plan]") {
  for (MeshRequest const req : {MeshRequest{{1, 1, 1}}, MeshRequest{{3, 1, 2}}, MeshRequest{{3, 1, 4}},
                                MeshRequest{{16, 1, 4}}, MeshRequest{{100, 1, 1}}, MeshRequest{{5, 2, 2}},
                                MeshRequest{{1, 1, 4}}}) {
    int const world = req.sizes[0] * req.sizes[1] * req.sizes[2];
    Mesh const mesh = Mesh::resolve(req, world);
    INFO(mesh.describe());
    auto const model = dry_build(uneven_debug_model(), mesh);
    auto const params = model->parameters();
    LayoutPlan const plan = plan_layout(params, mesh);
    REQUIRE(plan.bytes_per_rank.size() == static_cast<std::size_t>(world));

    std::int64_t largest = 0, bmin = INT64_MAX, bmax = 0;
    double sum = 0;
    bool each_rank_equal = true;
    for (int r = 0; r < world; ++r) {
      std::int64_t n = 0, bytes = 0;
      for (auto const& p : params) {
        std::int64_t const k = local_box(p->shape(), p->placements(), mesh, mesh.coords(r)).numel();
        std::int64_t const b = k * static_cast<std::int64_t>(dtype_size(p->dtype()));
        n += k;
        bytes += b;
        largest = std::max(largest, b);
      }
      each_rank_equal &= plan.params_per_rank[r] == n && plan.bytes_per_rank[r] == bytes;
      bmin = std::min(bmin, bytes);
      bmax = std::max(bmax, bytes);
      sum += static_cast<double>(bytes);
    }
    CHECK(each_rank_equal);
    RankLoad const load = plan.load();
    CHECK(load.bytes_min == bmin);
    CHECK(load.bytes_max == bmax);
    CHECK(load.bytes_avg == Approx(sum / world));
    CHECK(load.imbalance() == Approx(bmax / (sum / world)));
    CHECK(plan.bytes_per_rank[static_cast<std::size_t>(load.rank_of_max)] == bmax);
    CHECK(load.largest_shard_bytes == largest);
    // The named tensor is the first (registration order) with a shard that large.
    std::string first_largest;
    for (auto const& p : params) {
      for (int r = 0; r < world && first_largest.empty(); ++r)
        if (local_box(p->shape(), p->placements(), mesh, mesh.coords(r)).numel() *
                static_cast<std::int64_t>(dtype_size(p->dtype())) ==
            largest)
          first_largest = p->fqn();
      if (!first_largest.empty()) break;
    }
    CHECK(load.largest_shard_fqn == first_largest);
    CHECK(verify_planned_layout(params, mesh).ok);
  }
}

TEST_CASE("planner on Llama3 405B, 16384 ranks, tp = 8: every element counted once per replica", "[plan]") {
  Mesh const mesh = Mesh::resolve(MeshRequest{{-1, 1, 8}}, 16384);
  auto const model = dry_build(llama3_flavor("405B"), mesh);
  auto const params = model->parameters();
  LayoutPlan const plan = plan_layout(params, mesh);
  // Summed over ranks, each tensor appears once per replica of its layout.
  std::int64_t expect = 0, got = 0;
  for (auto const& p : params) {
    std::int64_t copies = 1;
    for (int m = 0; m < num_mesh_dims; ++m)
      if (!p->placements()[m].is_shard()) copies *= mesh.size(m);
    expect += p->numel() * copies;
  }
  for (auto n : plan.params_per_rank) got += n;
  CHECK(got == expect);
  // wq [16384, 16384] = (Shard(0), Replicate, Shard(0)): a TP block of 2048
  // rows, one row per dp_shard rank: the largest shard is an embedding's
  // (128256 / 8 = 16032 rows -> chunks of 8 rows x 16384 x 4 bytes = 512 KiB).
  RankLoad const load = plan.load();
  CHECK(load.largest_shard_bytes == 8 * 16384 * 4);
  CHECK(load.largest_shard_fqn == "tok_embeddings.weight");
  CHECK(verify_planned_layout(params, mesh).ok);
}
