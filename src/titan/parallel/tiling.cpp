#include "titan/parallel/tiling.hpp"

#include <algorithm>
#include <numeric>
#include <sstream>

namespace titan {

std::string describe(Box const& box) {
  std::ostringstream o;
  o << "[";
  for (std::size_t d = 0; d < box.offset.size() && d < box.extent.size(); ++d)
    o << (d ? ", " : "") << box.offset[d] << ":" << box.offset[d] + box.extent[d];
  o << "]";
  return o.str();
}

namespace {

class TilingChecker {
 public:
  TilingChecker(Shape const& shape, std::vector<Box> const& boxes, BoxLabel const& label)
      : _shape(shape), _boxes(boxes), _label(label) {}

  TilingResult run() {
    std::vector<std::size_t> nonempty;
    std::int64_t const total = numel(_shape);
    std::int64_t volume = 0;
    for (std::size_t i = 0; i < _boxes.size(); ++i) {
      if (!in_bounds(i)) return _result;
      std::int64_t const n = _boxes[i].numel();
      if (n == 0) continue;
      nonempty.push_back(i);
      if (n > total - volume)
        return fail("the local boxes hold more than the " + std::to_string(total) + " elements of the tensor " +
                    describe(_shape) + " (some element is held twice; " + label(i) + " holds " + describe(_boxes[i]) +
                    ")");
      volume += n;
    }
    if (!nonempty.empty() && !_shape.empty()) tile(0, nonempty, "");
    if (_result.ok && volume != total)
      fail("the local boxes hold " + std::to_string(volume) + " of the " + std::to_string(total) +
           " elements of the tensor " + describe(_shape) + " (a gap)");
    return _result;
  }

 private:
  std::string label(std::size_t i) const {
    return _label ? _label(i) : "box " + std::to_string(i);
  }

  TilingResult fail(std::string problem) {
    if (_result.ok) _result = TilingResult{false, std::move(problem)};
    return _result;
  }

  bool in_bounds(std::size_t i) {
    Box const& b = _boxes[i];
    bool ok = b.offset.size() == _shape.size() && b.extent.size() == _shape.size();
    for (std::size_t d = 0; ok && d < _shape.size(); ++d)
      ok = b.extent[d] >= 0 && b.offset[d] >= 0 && b.offset[d] <= _shape[d] && b.extent[d] <= _shape[d] - b.offset[d];
    if (!ok) fail(label(i) + " holds " + describe(b) + ", which is not inside the tensor " + describe(_shape));
    return ok;
  }

  // `ids` (non-empty boxes) all span the slab named by `where`; they must
  // tile dimensions dim.. of it exactly once.
  void tile(std::size_t dim, std::vector<std::size_t> ids, std::string const& where) {
    std::int64_t const n = _shape[dim];
    auto begin = [&](std::size_t i) { return _boxes[i].offset[dim]; };
    auto end = [&](std::size_t i) { return _boxes[i].offset[dim] + _boxes[i].extent[dim]; };
    std::stable_sort(ids.begin(), ids.end(), [&](std::size_t a, std::size_t b) { return begin(a) < begin(b); });
    auto range = [&](std::int64_t a, std::int64_t b) {
      return "indices " + std::to_string(a) + ":" + std::to_string(b) + " of dimension " + std::to_string(dim) + where;
    };

    if (dim + 1 == _shape.size()) {  // 1-D: consecutive intervals must abut
      std::int64_t covered = 0;
      std::size_t last = ids.front();
      for (std::size_t i : ids) {
        if (begin(i) > covered) return void(fail(range(covered, begin(i)) + " are held by no box (a gap)"));
        if (begin(i) < covered)
          return void(fail(range(begin(i), std::min(covered, end(i))) + " are held by both " + label(last) + " " +
                           describe(_boxes[last]) + " and " + label(i) + " " + describe(_boxes[i])));
        covered = end(i);
        last = i;
      }
      if (covered < n) fail(range(covered, n) + " are held by no box (a gap)");
      return;
    }

    // Cut dimension `dim` at every box boundary; each slab between two cuts is
    // spanned by whole boxes, which must tile the rest of the dimensions.
    std::vector<std::int64_t> cuts{0, n};
    for (std::size_t i : ids) {
      cuts.push_back(begin(i));
      cuts.push_back(end(i));
    }
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    std::vector<std::size_t> active;
    std::size_t next = 0;
    for (std::size_t c = 0; c + 1 < cuts.size() && _result.ok; ++c) {
      std::int64_t const lo = cuts[c], hi = cuts[c + 1];
      active.erase(std::remove_if(active.begin(), active.end(), [&](std::size_t i) { return end(i) <= lo; }),
                   active.end());
      while (next < ids.size() && begin(ids[next]) == lo) active.push_back(ids[next++]);
      if (active.empty()) return void(fail(range(lo, hi) + " are held by no box (a gap)"));
      tile(dim + 1, active, where + " (within indices " + std::to_string(lo) + ":" + std::to_string(hi) +
                                " of dimension " + std::to_string(dim) + ")");
    }
  }

  Shape const& _shape;
  std::vector<Box> const& _boxes;
  BoxLabel const& _label;
  TilingResult _result;
};

}  // namespace

TilingResult check_tiling(Shape const& shape, std::vector<Box> const& boxes, BoxLabel const& label) {
  return TilingChecker(shape, boxes, label).run();
}

}  // namespace titan
