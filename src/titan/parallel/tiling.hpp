// Does a set of boxes tile a tensor exactly once (no gap, no overlap)? The
// serial core of the layout verification (--verify-layout), kept free of MPI
// so it can be fed hand-made boxes.
#pragma once

#include "titan/parallel/placement.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace titan {

struct TilingResult {
  bool ok = true;
  std::string problem;  // empty when ok: the first gap, overlap or stray box found
};

//! Whether `boxes` cover every element of a tensor of `shape` exactly once.
//! Empty boxes are allowed and ignored. A box with the wrong rank, a negative
//! extent or reaching outside the tensor is a failure. `label(i)` names box i
//! in the message (e.g. "rank 3"); "box i" when no label is given. Not
//! collective. Cost: O(k log k) plus, per slab of dimension 0 (and recursively
//! per sub-slab), the boxes crossing it; linear in k for layouts that are
//! products of 1-D splits, as local_box() makes.
using BoxLabel = std::function<std::string(std::size_t)>;
TilingResult check_tiling(Shape const& shape, std::vector<Box> const& boxes, BoxLabel const& label = nullptr);

//! "[0:5, 3:6]": the half-open index ranges of a box.
std::string describe(Box const& box);

}  // namespace titan
