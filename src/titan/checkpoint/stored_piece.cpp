#include "titan/checkpoint/stored_piece.hpp"

#include "titan/core/errors.hpp"

#include <algorithm>
#include <numeric>

namespace titan {

namespace {

std::vector<int> identity_axes(std::size_t rank) {
  std::vector<int> a(rank);
  std::iota(a.begin(), a.end(), 0);
  return a;
}

std::string text(Extents const& s) {
  std::string o = "[";
  for (std::size_t i = 0; i < s.size(); ++i) o += (i ? ", " : "") + std::to_string(s[i]);
  return o + "]";
}

}  // namespace

PieceLayout stored_whole(std::string const& name, Extents const& shape) {
  StoredPiece p;
  p.tensor = name;
  p.stored_shape = shape;
  p.from = Extents(shape.size(), 0);
  p.extent = shape;
  p.axes = identity_axes(shape.size());
  p.at = Extents(shape.size(), 0);
  return {p};
}

PieceLayout stored_rope_permuted(std::string const& name, Extents const& shape, std::int64_t heads) {
  PieceLayout l = stored_whole(name, shape);
  l[0].rope_heads = heads;
  return l;
}

PieceLayout stored_transposed(std::string const& name, Extents const& shape) {
  PieceLayout l = stored_whole(name, shape);
  std::size_t const n = shape.size();
  std::swap(l[0].stored_shape[n - 2], l[0].stored_shape[n - 1]);
  std::swap(l[0].axes[n - 2], l[0].axes[n - 1]);
  return l;
}

StoredPiece stored_rows_of(std::string const& name, Extents const& stored_shape, Extents const& shape,
                           std::int64_t at_row) {
  StoredPiece p = stored_whole(name, shape)[0];
  p.stored_shape = stored_shape;
  p.at[0] = at_row;
  return p;
}

PieceLayout stored_row_blocks(std::vector<std::string> const& names, std::vector<std::int64_t> const& rows,
                              Extents const& shape) {
  PieceLayout out;
  std::int64_t r0 = 0;
  for (std::size_t k = 0; k < names.size(); ++k) {
    StoredPiece p = stored_whole(names[k], shape)[0];
    p.stored_shape[0] = rows[k];
    p.from[0] = r0;
    p.extent[0] = rows[k];
    out.push_back(std::move(p));
    r0 += rows[k];
  }
  return out;
}

void check_piece_layout(std::string const& fqn, Extents const& shape, PieceLayout const& layout) {
  auto fail = [&](std::string const& what) {
    throw RunError("internal: the checkpoint layout of " + fqn + " " + text(shape) + ": " + what);
  };
  std::int64_t covered = 0, total = 1;
  for (auto e : shape) total *= e;
  std::size_t const n = shape.size();
  for (std::size_t i = 0; i < layout.size(); ++i) {
    StoredPiece const& p = layout[i];
    if (p.from.size() != n || p.extent.size() != n) fail("piece " + p.tensor + " has a box of another rank");
    std::int64_t numel = 1;
    for (std::size_t d = 0; d < n; ++d) {
      if (p.from[d] < 0 || p.extent[d] < 0 || p.from[d] + p.extent[d] > shape[d])
        fail("piece " + p.tensor + " reaches outside the tensor");
      numel *= p.extent[d];
    }
    if (p.axes.size() != p.stored_shape.size() || p.at.size() != p.stored_shape.size())
      fail("piece " + p.tensor + " has an axis map of another rank than its stored shape " + text(p.stored_shape));
    std::vector<bool> used(n, false);
    for (std::size_t d = 0; d < p.axes.size(); ++d) {
      int const a = p.axes[d];
      if (a < 0 || a >= static_cast<int>(n) || used[static_cast<std::size_t>(a)]) fail("piece " + p.tensor + " has a bad axis map");
      used[static_cast<std::size_t>(a)] = true;
      std::size_t const ua = static_cast<std::size_t>(a);
      if (p.at[d] < 0 || p.at[d] + p.extent[ua] > p.stored_shape[d])
        fail("piece " + p.tensor + " reaches outside its stored tensor " + text(p.stored_shape));
    }
    for (std::size_t d = 0; d < n; ++d)
      if (!used[d] && p.extent[d] != 1) fail("piece " + p.tensor + " drops a dimension of extent > 1");
    if (p.rope_heads > 0) {
      bool const identity = p.axes.size() == 2 && p.axes[0] == 0 && p.axes[1] == 1;
      if (!identity || p.stored_shape[0] % (2 * p.rope_heads) != 0 || p.at[0] != 0 ||
          p.extent[0] != p.stored_shape[0])
        fail("cannot permute the rows of " + p.tensor + " for " + std::to_string(p.rope_heads) + " heads");
    }
    for (std::size_t j = 0; j < i; ++j) {  // disjoint boxes (256 pieces at most: DeepSeek-V3's experts)
      StoredPiece const& q = layout[j];
      bool overlap = true;
      for (std::size_t d = 0; d < n && overlap; ++d)
        overlap = p.from[d] < q.from[d] + q.extent[d] && q.from[d] < p.from[d] + p.extent[d];
      if (overlap) fail("pieces " + q.tensor + " and " + p.tensor + " overlap");
    }
    covered += numel;
  }
  if (covered != total) fail("the pieces hold " + std::to_string(covered) + " of " + std::to_string(total) + " elements");
}

}  // namespace titan
