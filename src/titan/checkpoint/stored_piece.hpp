// Where the elements of a model tensor (a parameter or a buffer) lie in the
// tensors of a checkpoint: a list of pieces, each a box of the model tensor
// placed in one stored tensor through an axis map (renames, slices of fused
// tensors, stacked experts stored one per file tensor, transposes) and, for
// Hugging Face's q/k projections, a row permutation between RoPE layouts.
// Host-only: no Kokkos, no MPI.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

using Extents = std::vector<std::int64_t>;

//! One box of a model tensor and where it lies in a stored tensor.
//! Element x of the model tensor (x inside [from, from + extent)) is element
//! s of the stored tensor with s[d] = at[d] + x[axes[d]] - from[axes[d]];
//! model dimensions missing from `axes` have extent 1 in the box (an expert
//! of a stacked [E, ...] tensor stored as its own [...] tensor). With
//! rope_heads = h > 0 (a 2-D piece with the identity axis map), stored row r
//! is then moved to hf_rope_row(r, rows, h): HF's rotate-half order of the
//! rows of each of h heads.
struct StoredPiece {
  std::string tensor;    // the stored tensor's name
  Extents stored_shape;  // its full shape
  Extents from, extent;  // the box of the model tensor
  std::vector<int> axes; // stored dimension d holds model dimension axes[d]
  Extents at;            // stored coordinates of the box's first element
  std::int64_t rope_heads = 0;
};

//! The pieces that store one model tensor: together they hold each of its
//! elements exactly once.
using PieceLayout = std::vector<StoredPiece>;

//! The whole tensor under `name`, unchanged.
PieceLayout stored_whole(std::string const& name, Extents const& shape);
//! A 2-D q or k projection with `heads` heads under `name`, its rows in HF's
//! rotate-half order (torchtitan's Llama3 to_hf permutation).
PieceLayout stored_rope_permuted(std::string const& name, Extents const& shape, std::int64_t heads);
//! The tensor with its last two dimensions swapped ([E, A, B] stored [E, B, A]).
PieceLayout stored_transposed(std::string const& name, Extents const& shape);
//! A stacked [E, ...] tensor stored as E tensors [...]: `name_of(e)` names
//! expert e's.
template <class NameOf>
PieceLayout stored_unstacked(Extents const& shape, NameOf const& name_of) {
  PieceLayout out;
  Extents rest(shape.begin() + 1, shape.end());
  std::vector<int> axes;
  for (int d = 1; d < static_cast<int>(shape.size()); ++d) axes.push_back(d);
  for (std::int64_t e = 0; e < shape[0]; ++e) {
    StoredPiece p;
    p.tensor = name_of(e);
    p.stored_shape = rest;
    p.from = Extents(shape.size(), 0);
    p.from[0] = e;
    p.extent = shape;
    p.extent[0] = 1;
    p.axes = axes;
    p.at = Extents(rest.size(), 0);
    out.push_back(std::move(p));
  }
  return out;
}
//! Consecutive row blocks of dimension 0 (sizes `rows`, summing to
//! shape[0]) stored as tensors `names` (a fused projection stored split).
PieceLayout stored_row_blocks(std::vector<std::string> const& names, std::vector<std::int64_t> const& rows,
                              Extents const& shape);
//! The model tensor stored at row `at_row` of dimension 0 of a larger stored
//! tensor of `stored_shape` (one of the parts of a fused stored tensor).
StoredPiece stored_rows_of(std::string const& name, Extents const& stored_shape, Extents const& shape,
                           std::int64_t at_row);

//! HF's rotate-half row of titan's (interleaved-pair) row r of a [rows, *]
//! q/k weight of `heads` heads: within each head, titan row 2i + c is HF row
//! c * hd/2 + i (torchtitan's _permute: view(heads, hd/2, 2, cols).transpose(1, 2)).
inline std::int64_t hf_rope_row(std::int64_t r, std::int64_t rows, std::int64_t heads) {
  std::int64_t const hd = rows / heads, half = hd / 2;
  std::int64_t const h = r / hd, j = r % hd;
  return h * hd + (j % 2) * half + j / 2;
}

//! Checks that `layout` stores a model tensor of `shape` once: every box
//! inside the tensor, axis maps well formed, pieces inside their stored
//! tensors, boxes disjoint and covering every element. Throws RunError (an
//! adapter bug) naming `fqn` otherwise.
void check_piece_layout(std::string const& fqn, Extents const& shape, PieceLayout const& layout);

}  // namespace titan
