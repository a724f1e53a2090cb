// torch.chunk splits, nesting of two mesh dims on one tensor dim, mesh resolution.
#include "titan/core/errors.hpp"
#include "titan/parallel/placement.hpp"

#include <catch2/catch.hpp>

using namespace titan;

TEST_CASE("chunk_range follows torch.chunk", "[layout]") {
  // The spec's examples: 151936 over 3 -> 50646, 50646, 50644; 5 over 4 -> 2, 2, 1, 0.
  CHECK(chunk_range(151936, 3, 0)[1] == 50646);
  CHECK(chunk_range(151936, 3, 1)[1] == 50646);
  CHECK(chunk_range(151936, 3, 2)[1] == 50644);
  CHECK(chunk_range(151936, 3, 2)[0] == 101292);
  std::array<std::int64_t, 4> expect{2, 2, 1, 0};
  for (int r = 0; r < 4; ++r) CHECK(chunk_range(5, 4, r)[1] == expect[r]);
  // Trailing chunks can be empty: 4 rows over 3 ranks -> 2, 2, 0.
  CHECK(chunk_range(4, 3, 2)[1] == 0);
}

TEST_CASE("mesh coordinates are row-major over [dp_shard, ep, tp], tp fastest", "[layout]") {
  Mesh const m = Mesh::resolve(MeshRequest{{-1, 1, 4}}, 8);
  CHECK(m.size(dp_shard) == 2);
  CHECK(m.coords(5) == std::array<int, 3>{1, 0, 1});
  CHECK(m.coords(3) == std::array<int, 3>{0, 0, 3});
}

TEST_CASE("impossible meshes are errors naming the numbers", "[layout]") {
  CHECK_THROWS_WITH(Mesh::resolve(MeshRequest{{3, 1, 1}}, 4), Catch::Contains("3") && Catch::Contains("4 ranks"));
  CHECK_THROWS_WITH(Mesh::resolve(MeshRequest{{-1, 1, -1}}, 4), Catch::Contains("only one dimension may be -1"));
  CHECK_THROWS_WITH(Mesh::resolve(MeshRequest{{-1, 1, 3}}, 4), Catch::Contains("does not divide the world size 4"));
  CHECK_THROWS_AS(Mesh::resolve(MeshRequest{{0, 1, 1}}, 1), InputError);
}

TEST_CASE("FSDP nests inside the TP block (spec 5.6: Llama3-8B wq rows on dp_shard=2, tp=4)", "[layout]") {
  // The spec's worked example uses the fused wqkv [6144, 4096]: TP rank t holds
  // rows [1536 t, +1536), FSDP rank f the half [1536 t + 768 f, +768).
  Mesh const m = Mesh::resolve(MeshRequest{{2, 1, 4}}, 8);
  Placements p = replicated();
  p[dp_shard] = Placement::shard(0);
  p[tp] = Placement::shard(0);
  for (int f = 0; f < 2; ++f)
    for (int t = 0; t < 4; ++t) {
      Box const b = local_box({6144, 4096}, p, m, {f, 0, t});
      CHECK(b.offset[0] == 1536 * t + 768 * f);
      CHECK(b.extent[0] == 768);
      CHECK(b.offset[1] == 0);
      CHECK(b.extent[1] == 4096);
    }
  // wo [4096, 4096]: (Shard(0), Shard(1)): rows by f, columns [1024 t, +1024).
  p[tp] = Placement::shard(1);
  Box const b = local_box({4096, 4096}, p, m, {1, 0, 2});
  CHECK(b.offset == Shape{2048, 2048});
  CHECK(b.extent == Shape{2048, 1024});
}

TEST_CASE("replicas: only coordinate 0 along replicated dims counts", "[layout]") {
  Mesh const m = Mesh::resolve(MeshRequest{{2, 1, 2}}, 4);
  Placements p = replicated();
  p[dp_shard] = Placement::shard(0);  // replicated over tp
  CHECK(is_primary_replica(p, m, {1, 0, 0}));
  CHECK_FALSE(is_primary_replica(p, m, {1, 0, 1}));
}

TEST_CASE("placement text round-trips", "[layout]") {
  Placement p;
  REQUIRE(parse_placement("Shard(1)", p));
  CHECK(p.shard_dim == 1);
  REQUIRE(parse_placement("Replicate", p));
  CHECK_FALSE(p.is_shard());
  CHECK_FALSE(parse_placement("Shard(x)", p));
  CHECK_FALSE(parse_placement("shard(1)", p));
  CHECK(Placement::shard(2).describe() == "Shard(2)");
}
