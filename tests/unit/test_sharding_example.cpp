// The worked example of docs/sharding.md, computed by local_box(): a [10, 6]
// tensor (and a [3, 6] one) on a 2 x 2 mesh (dp_shard=2, tp=2). The expected
// boxes are written out here, and each row of the document's tables is
// generated from local_box() and must appear verbatim in docs/sharding.md, so
// the document and the code cannot drift apart.
#include "titan/parallel/placement.hpp"
#include "titan/parallel/tiling.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace titan;

namespace {

Mesh two_by_two() { return Mesh::resolve(MeshRequest{{2, 1, 2}}, 4); }

Placements on_dp_tp(Placement dp, Placement t) {
  Placements p = replicated();
  p[dp_shard] = dp;
  p[tp] = t;
  return p;
}

std::string range(std::int64_t offset, std::int64_t extent) {
  return extent == 0 ? std::string("(none)") : std::to_string(offset) + ":" + std::to_string(offset + extent);
}

// "| 1 | (0, 1) | 0:5 | 3:6 | yes |": the document's row for `rank`.
std::string doc_row(Shape const& shape, Placements const& p, Mesh const& mesh, int rank) {
  auto const c = mesh.coords(rank);
  Box const b = local_box(shape, p, mesh, c);
  bool const empty = b.numel() == 0;
  std::ostringstream o;
  o << "| " << rank << " | (" << c[dp_shard] << ", " << c[tp] << ") | "
    << (empty ? "(none)" : range(b.offset[0], b.extent[0])) << " | "
    << (empty ? "(none)" : range(b.offset[1], b.extent[1])) << " | " << b.numel() << " | "
    << (is_primary_replica(p, mesh, c) ? "yes" : "no") << " |";
  return o.str();
}

std::string sharding_doc() {
  std::ifstream in(std::string(TITAN_SOURCE_DIR) + "/docs/sharding.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Expect {
  Shape offset, extent;
};

void check_boxes(Shape const& shape, Placements const& p, std::array<Expect, 4> const& expect) {
  Mesh const mesh = two_by_two();
  std::vector<Box> primaries;
  for (int r = 0; r < 4; ++r) {
    auto const c = mesh.coords(r);
    Box const b = local_box(shape, p, mesh, c);
    INFO("rank " << r << " " << describe(p));
    CHECK(b.offset == expect[r].offset);
    CHECK(b.extent == expect[r].extent);
    if (is_primary_replica(p, mesh, c)) primaries.push_back(b);
  }
  CHECK(check_tiling(shape, primaries).ok);
}

}  // namespace

TEST_CASE("sharding.md: [10, 6] on dp_shard=2 x tp=2", "[layout][doc]") {
  Mesh const mesh = two_by_two();
  REQUIRE(mesh.coords(1) == std::array<int, 3>{0, 0, 1});  // rank = 2 * dp_shard + tp
  REQUIRE(mesh.coords(2) == std::array<int, 3>{1, 0, 0});
  Shape const shape{10, 6};

  // (dp_shard=Shard(0), tp=Shard(1)): rows by dp_shard, columns by tp.
  check_boxes(shape, on_dp_tp(Placement::shard(0), Placement::shard(1)),
              {{{{0, 0}, {5, 3}}, {{0, 3}, {5, 3}}, {{5, 0}, {5, 3}}, {{5, 3}, {5, 3}}}});
  // (Shard(0), Shard(0)): tp splits rows first (0:5 | 5:10), dp_shard splits
  // each TP block with torch.chunk (5 -> 3, 2).
  check_boxes(shape, on_dp_tp(Placement::shard(0), Placement::shard(0)),
              {{{{0, 0}, {3, 6}}, {{5, 0}, {3, 6}}, {{3, 0}, {2, 6}}, {{8, 0}, {2, 6}}}});
  // (Replicate, Shard(0)): the dp_shard=1 ranks are replicas of the dp_shard=0 ones.
  check_boxes(shape, on_dp_tp(Placement::replicate(), Placement::shard(0)),
              {{{{0, 0}, {5, 6}}, {{5, 0}, {5, 6}}, {{0, 0}, {5, 6}}, {{5, 0}, {5, 6}}}});
}

TEST_CASE("sharding.md: [3, 6] with (Shard(0), Shard(0)) leaves rank 3 empty", "[layout][doc]") {
  // tp: chunk(3, 2) = 2, 1 rows; dp_shard inside: 2 -> 1, 1 and 1 -> 1, 0.
  check_boxes({3, 6}, on_dp_tp(Placement::shard(0), Placement::shard(0)),
              {{{{0, 0}, {1, 6}}, {{2, 0}, {1, 6}}, {{1, 0}, {1, 6}}, {{3, 0}, {0, 6}}}});
}

TEST_CASE("sharding.md's example tables are what local_box() computes", "[layout][doc]") {
  std::string const doc = sharding_doc();
  REQUIRE_FALSE(doc.empty());
  Mesh const mesh = two_by_two();
  struct Case {
    Shape shape;
    Placements p;
  };
  Case const cases[] = {{{10, 6}, on_dp_tp(Placement::shard(0), Placement::shard(1))},
                        {{10, 6}, on_dp_tp(Placement::shard(0), Placement::shard(0))},
                        {{10, 6}, on_dp_tp(Placement::replicate(), Placement::shard(0))},
                        {{3, 6}, on_dp_tp(Placement::shard(0), Placement::shard(0))}};
  for (Case const& k : cases) {
    // Each table starts with a heading line naming its shape and placements.
    std::string const heading = "#### " + describe(k.shape) + ", (dp_shard=" + k.p[dp_shard].describe() +
                                ", tp=" + k.p[tp].describe() + ")";
    INFO(heading);
    auto const at = doc.find(heading);
    REQUIRE(at != std::string::npos);
    auto const end = doc.find("####", at + heading.size());
    std::string const table = doc.substr(at, end == std::string::npos ? std::string::npos : end - at);
    for (int r = 0; r < 4; ++r) {
      std::string const row = doc_row(k.shape, k.p, mesh, r);
      INFO(row);
      CHECK(table.find(row) != std::string::npos);
    }
  }
}
