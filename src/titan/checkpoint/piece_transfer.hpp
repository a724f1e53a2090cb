// The host side of moving a rank's part of one stored piece (stored_piece.hpp)
// through the staging buffers: which slabs of its local box a piece covers,
// the stored box each slab fills, and the element reordering and decoding
// between the model's row-major order (param dtype) and the stored order
// (stored dtype or a quantized encoding). No MPI here; checkpoint_io.cpp
// moves the bytes.
#pragma once

#include "titan/checkpoint/safetensors_codec.hpp"
#include "titan/checkpoint/stored_piece.hpp"
#include "titan/core/dtype.hpp"

#include <cstdint>
#include <vector>

namespace titan {

//! How a stored tensor's elements are encoded in the checkpoint.
enum class StoredEncoding {
  plain,      // its dtype (F32, BF16, F16)
  fp8_block,  // F8_E4M3 with a 2-D "<name>_scale_inv" of one scale per fp8_block^2 block
  mxfp4       // "<base>_blocks" U8 [..., R, C/32, 16] with "<base>_scales" U8 [..., R, C/32]
};

//! One slab of a piece on this rank: a box of the model tensor (rows
//! [from[0], from[0] + extent[0]) of the local box's intersection with the
//! piece, whole in the other dimensions) and the stored box it fills.
struct PieceSlab {
  Extents from, extent;              // model coordinates (global)
  Extents stored_from, stored_extent;  // stored coordinates
  std::int64_t local_begin = 0;      // first element in the rank's local storage (row-major over its box)
  std::int64_t numel() const;
};

//! The slabs of `piece` within a rank's local box (`box_from`, `box_extent`;
//! empty box: none), at most `rows_cap` rows of model dimension 0 each.
//! Pieces split model tensors along dimension 0 only (check_piece_layout),
//! so each slab is one contiguous range of the local storage.
std::vector<PieceSlab> piece_slabs(StoredPiece const& piece, Extents const& box_from, Extents const& box_extent,
                                   std::int64_t rows_cap);

//! True when the slab's elements are in the same order in the model's
//! storage and in the stored box (axes increasing once dimensions of extent
//! 1 are set aside): no reordering needed.
bool same_order(StoredPiece const& piece);

//! Copies the elements of a slab from model order (`model`, elements of
//! `esize` bytes) into stored order (`stored`).
void model_to_stored(StoredPiece const& piece, PieceSlab const& slab, std::size_t esize, void const* model,
                     void* stored);

//! What the reader needs to decode a stored box into float32 values.
struct StoredDecode {
  StoredEncoding encoding = StoredEncoding::plain;
  StoredDType dtype = StoredDType::F32;  // plain: F32/BF16/F16; fp8_block: F8_E4M3; mxfp4: U8
  // fp8_block: the scales of rows [scale_row0, ...) of the scale tensor, all
  // its columns (scale_cols), as float32.
  std::int64_t scale_row0 = 0, scale_cols = 0;
  std::vector<float> scales;
  // mxfp4: the scale bytes of the slab's stored box, one per 32-element
  // group, row-major over (stored box without its last dimension) x groups
  // [group0, group0 + groups).
  std::int64_t group0 = 0, groups = 0;
  std::vector<std::uint8_t> scale_bytes;
};

//! Bytes the stored box of `slab` occupies in the file for `decode`'s
//! encoding (mxfp4: the 16-byte blocks covering its last dimension).
std::uint64_t stored_box_bytes(PieceSlab const& slab, StoredDecode const& decode);

//! Decodes the stored box (`raw`: plain/fp8 elements in stored row-major
//! order; mxfp4: its covering blocks, row-major over [box rows, groups, 16])
//! into `model` (model order, `dtype`: float32 or bfloat16 bits; bfloat16
//! rounds the float32 value to nearest even). A stored dtype equal to the
//! model dtype is copied bit for bit.
void stored_to_model(StoredPiece const& piece, PieceSlab const& slab, StoredDecode const& decode, void const* raw,
                     DType dtype, void* model);

}  // namespace titan
