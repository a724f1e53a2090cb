// check_tiling, the serial core of --verify-layout: exact tilings pass
// (product layouts, irregular ones, empty boxes), and every kind of broken
// tiling is reported: overlap, gap, a box outside the tensor, a wrong rank.
#include "titan/parallel/tiling.hpp"

#include <catch2/catch.hpp>

using namespace titan;

namespace {

Box box(Shape offset, Shape extent) { return Box{std::move(offset), std::move(extent)}; }

}  // namespace

TEST_CASE("exact tilings pass", "[tiling]") {
  // 1-D torch.chunk of 5 over 4: 2, 2, 1, 0 (the empty chunk is ignored).
  CHECK(check_tiling({5}, {box({0}, {2}), box({2}, {2}), box({4}, {1}), box({5}, {0})}).ok);
  // 2-D product layout [10, 6] on 2 x 2, given in any order.
  CHECK(check_tiling({10, 6}, {box({5, 3}, {5, 3}), box({0, 0}, {5, 3}), box({5, 0}, {5, 3}), box({0, 3}, {5, 3})}).ok);
  // Not a product: a brick wall (rows 0:2 cut at column 3, rows 2:4 at columns 1 and 5).
  CHECK(check_tiling({4, 6}, {box({0, 0}, {2, 3}), box({0, 3}, {2, 3}), box({2, 0}, {2, 1}), box({2, 1}, {2, 4}),
                              box({2, 5}, {2, 1})})
            .ok);
  // Not a product in either order: a pinwheel around a centre cell of [3, 3].
  CHECK(check_tiling({3, 3}, {box({0, 0}, {1, 2}), box({0, 2}, {2, 1}), box({2, 1}, {1, 2}), box({1, 0}, {2, 1}),
                              box({1, 1}, {1, 1})})
            .ok);
  // One box holding everything; a 3-D tensor split along its last dimension.
  CHECK(check_tiling({7, 3}, {box({0, 0}, {7, 3})}).ok);
  CHECK(check_tiling({2, 3, 4}, {box({0, 0, 0}, {2, 3, 2}), box({0, 0, 2}, {2, 3, 2})}).ok);
  // A tensor with no elements: only empty boxes.
  CHECK(check_tiling({0, 4}, {box({0, 0}, {0, 4}), box({0, 0}, {0, 4})}).ok);
}

TEST_CASE("an overlap is reported, naming both boxes", "[tiling]") {
  // Rows 0:6 and 4:10 overlap on 4:6: 36 + 36 elements > 60.
  auto const twice = check_tiling({10, 6}, {box({0, 0}, {6, 6}), box({4, 0}, {6, 6})});
  CHECK_FALSE(twice.ok);
  CHECK_THAT(twice.problem, Catch::Contains("more than the 60 elements"));

  // Volumes add up to 60 exactly, but columns 2:3 of rows 0:5 are held twice
  // and columns 5:6 of rows 0:5 by nobody.
  auto const shifted = check_tiling(
      {10, 6}, {box({0, 0}, {5, 3}), box({0, 2}, {5, 3}), box({5, 0}, {5, 3}), box({5, 3}, {5, 3})},
      [](std::size_t k) { return "rank " + std::to_string(k); });
  CHECK_FALSE(shifted.ok);
  CHECK_THAT(shifted.problem, Catch::Contains("indices 2:3 of dimension 1") && Catch::Contains("held by both rank 0") &&
                                  Catch::Contains("and rank 1") && Catch::Contains("within indices 0:5 of dimension 0"));

  // Two identical 1-D boxes and a gap elsewhere, volume equal to the tensor's.
  auto const dup = check_tiling({4}, {box({0}, {2}), box({0}, {2})});
  CHECK_FALSE(dup.ok);
  CHECK_THAT(dup.problem, Catch::Contains("indices 0:2 of dimension 0 are held by both box 0 [0:2] and box 1 [0:2]"));
}

TEST_CASE("a gap is reported", "[tiling]") {
  auto const missing_rows = check_tiling({10, 6}, {box({0, 0}, {4, 6}), box({5, 0}, {5, 6})});
  CHECK_FALSE(missing_rows.ok);
  CHECK_THAT(missing_rows.problem, Catch::Contains("indices 4:5 of dimension 0 are held by no box (a gap)"));
  // The 1-D gap at the end, and in the middle.
  CHECK_THAT(check_tiling({5}, {box({0}, {2}), box({2}, {2})}).problem,
             Catch::Contains("indices 4:5 of dimension 0 are held by no box"));
  auto const middle = check_tiling({6}, {box({0}, {2}), box({3}, {3}), box({2}, {0})});
  CHECK_FALSE(middle.ok);
  CHECK_THAT(middle.problem, Catch::Contains("indices 2:3 of dimension 0 are held by no box"));
  // A gap in the second dimension of one slab only.
  auto const hole = check_tiling({4, 4}, {box({0, 0}, {2, 4}), box({2, 0}, {2, 3})});
  CHECK_FALSE(hole.ok);
  CHECK_THAT(hole.problem, Catch::Contains("indices 3:4 of dimension 1 (within indices 2:4 of dimension 0)"));
  // Nothing at all.
  auto const none = check_tiling({3}, {});
  CHECK_FALSE(none.ok);
  CHECK_THAT(none.problem, Catch::Contains("hold 0 of the 3 elements"));
}

TEST_CASE("boxes outside the tensor or of the wrong rank are reported", "[tiling]") {
  auto const out = check_tiling({10, 6}, {box({0, 0}, {10, 6}), box({8, 4}, {3, 3})});
  CHECK_FALSE(out.ok);
  CHECK_THAT(out.problem, Catch::Contains("box 1 holds [8:11, 4:7], which is not inside the tensor [10, 6]"));
  CHECK_FALSE(check_tiling({10, 6}, {box({0}, {10})}).ok);
  CHECK_FALSE(check_tiling({4}, {box({-1}, {2}), box({1}, {3})}).ok);
  CHECK_FALSE(check_tiling({4}, {box({0}, {5}), box({4}, {-1})}).ok);
}

TEST_CASE("describe(Box) prints half-open ranges", "[tiling]") {
  CHECK(describe(box({5, 0}, {5, 3})) == "[5:10, 0:3]");
}
