#include "titan/checkpoint/piece_transfer.hpp"

#include "titan/checkpoint/quantized_formats.hpp"
#include "titan/core/bf16.hpp"
#include "titan/core/errors.hpp"

#include <algorithm>
#include <cstring>

namespace titan {

std::int64_t PieceSlab::numel() const {
  std::int64_t n = 1;
  for (auto e : extent) n *= e;
  return n;
}

std::vector<PieceSlab> piece_slabs(StoredPiece const& piece, Extents const& box_from, Extents const& box_extent,
                                   std::int64_t rows_cap) {
  std::vector<PieceSlab> out;
  std::size_t const n = box_from.size();
  Extents from(n), extent(n);
  std::int64_t inner = 1;
  for (std::size_t d = 0; d < n; ++d) {
    std::int64_t const a = std::max(box_from[d], piece.from[d]);
    std::int64_t const b = std::min(box_from[d] + box_extent[d], piece.from[d] + piece.extent[d]);
    if (b <= a) return out;
    from[d] = a;
    extent[d] = b - a;
    if (d > 0) {
      if (a != box_from[d] || b != box_from[d] + box_extent[d])
        throw RunError("internal: piece " + piece.tensor + " splits a dimension other than 0");
      inner *= box_extent[d];
    }
  }
  std::int64_t const cap = std::max<std::int64_t>(1, rows_cap);
  for (std::int64_t r = 0; r < extent[0]; r += cap) {
    PieceSlab s;
    s.from = from;
    s.extent = extent;
    s.from[0] = from[0] + r;
    s.extent[0] = std::min(cap, extent[0] - r);
    s.local_begin = (s.from[0] - box_from[0]) * inner;
    for (std::size_t d = 0; d < piece.axes.size(); ++d) {
      std::size_t const a = static_cast<std::size_t>(piece.axes[d]);
      s.stored_from.push_back(piece.at[d] + s.from[a] - piece.from[a]);
      s.stored_extent.push_back(s.extent[a]);
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool same_order(StoredPiece const& piece) {
  int last = -1;
  for (int a : piece.axes) {
    if (piece.extent[static_cast<std::size_t>(a)] == 1) continue;
    if (a < last) return false;
    last = a;
  }
  return true;
}

namespace {

// Calls f(stored linear index, model linear index) for every element of the
// slab's stored box in stored row-major order.
template <class F>
void for_each_stored(StoredPiece const& piece, PieceSlab const& slab, F const& f) {
  std::size_t const n = slab.extent.size(), sn = slab.stored_extent.size();
  Extents model_stride(n, 1);
  for (std::size_t d = n; d-- > 1;) model_stride[d - 1] = model_stride[d] * slab.extent[d];
  Extents stride(sn);  // model stride of each stored dimension
  for (std::size_t d = 0; d < sn; ++d) stride[d] = model_stride[static_cast<std::size_t>(piece.axes[d])];
  std::int64_t const total = slab.numel();
  if (total == 0) return;
  if (sn == 0) {
    f(0, 0);
    return;
  }
  Extents idx(sn, 0);
  std::int64_t const last = slab.stored_extent[sn - 1], last_stride = stride[sn - 1];
  std::int64_t k = 0, base = 0;
  while (k < total) {
    for (std::int64_t j = 0; j < last; ++j) f(k + j, base + j * last_stride);
    k += last;
    // Next row of the stored box (odometer over all dimensions but the last).
    std::size_t d = sn - 1;
    while (d > 0) {
      --d;
      ++idx[d];
      base += stride[d];
      if (idx[d] < slab.stored_extent[d]) break;
      base -= stride[d] * idx[d];
      idx[d] = 0;
    }
  }
}

}  // namespace

void model_to_stored(StoredPiece const& piece, PieceSlab const& slab, std::size_t esize, void const* model,
                     void* stored) {
  char const* in = static_cast<char const*>(model);
  char* out = static_cast<char*>(stored);
  if (same_order(piece)) {
    std::memcpy(out, in, static_cast<std::size_t>(slab.numel()) * esize);
    return;
  }
  for_each_stored(piece, slab, [&](std::int64_t s, std::int64_t m) {
    std::memcpy(out + s * static_cast<std::int64_t>(esize), in + m * static_cast<std::int64_t>(esize), esize);
  });
}

std::uint64_t stored_box_bytes(PieceSlab const& slab, StoredDecode const& decode) {
  std::uint64_t n = 1;
  if (decode.encoding == StoredEncoding::mxfp4) {
    for (std::size_t d = 0; d + 1 < slab.stored_extent.size(); ++d) n *= static_cast<std::uint64_t>(slab.stored_extent[d]);
    return n * static_cast<std::uint64_t>(decode.groups) * 16;
  }
  for (auto e : slab.stored_extent) n *= static_cast<std::uint64_t>(e);
  return n * stored_dtype_size(decode.dtype);
}

void stored_to_model(StoredPiece const& piece, PieceSlab const& slab, StoredDecode const& decode, void const* raw,
                     DType dtype, void* model) {
  std::size_t const esize = dtype_size(dtype);
  bool const raw_copy = decode.encoding == StoredEncoding::plain && decode.dtype == stored_dtype_of(dtype);
  if (raw_copy && same_order(piece)) {
    std::memcpy(model, raw, static_cast<std::size_t>(slab.numel()) * esize);
    return;
  }
  auto put = [&](std::int64_t m, float v) {
    if (dtype == DType::float32) static_cast<float*>(model)[m] = v;
    else static_cast<std::uint16_t*>(model)[m] = float_to_bf16(v);
  };
  unsigned char const* bytes = static_cast<unsigned char const*>(raw);
  std::size_t const sn = slab.stored_extent.size();
  std::int64_t const cols = sn ? slab.stored_extent[sn - 1] : 1;
  switch (decode.encoding) {
    case StoredEncoding::plain:
      if (raw_copy) {
        for_each_stored(piece, slab, [&](std::int64_t s, std::int64_t m) {
          std::memcpy(static_cast<char*>(model) + m * static_cast<std::int64_t>(esize),
                      bytes + s * static_cast<std::int64_t>(esize), esize);
        });
      } else if (decode.dtype == StoredDType::F32) {
        for_each_stored(piece, slab, [&](std::int64_t s, std::int64_t m) {
          float v;
          std::memcpy(&v, bytes + 4 * s, 4);
          put(m, v);
        });
      } else if (decode.dtype == StoredDType::BF16 || decode.dtype == StoredDType::F16) {
        bool const f16 = decode.dtype == StoredDType::F16;
        for_each_stored(piece, slab, [&](std::int64_t s, std::int64_t m) {
          std::uint16_t h;
          std::memcpy(&h, bytes + 2 * s, 2);
          put(m, f16 ? f16_to_float(h) : bf16_to_float(h));
        });
      } else {
        throw RunError("internal: no decoder for stored dtype " + std::string(stored_dtype_name(decode.dtype)));
      }
      break;
    case StoredEncoding::fp8_block: {
      if (sn != 2) throw RunError("internal: FP8 block scales need a 2-D tensor");
      for_each_stored(piece, slab, [&](std::int64_t s, std::int64_t m) {
        std::int64_t const r = slab.stored_from[0] + s / cols, c = slab.stored_from[1] + s % cols;
        float const scale = decode.scales[static_cast<std::size_t>((r / fp8_block - decode.scale_row0) * decode.scale_cols +
                                                                   c / fp8_block)];
        put(m, fp8_e4m3_to_float(bytes[s]) * scale);
      });
      break;
    }
    case StoredEncoding::mxfp4: {
      std::int64_t const c0 = slab.stored_from[sn - 1];
      for_each_stored(piece, slab, [&](std::int64_t s, std::int64_t m) {
        std::int64_t const row = s / cols, c = c0 + s % cols;
        std::int64_t const g = c / mxfp4_block - decode.group0, within = c % mxfp4_block;
        std::int64_t const block = row * decode.groups + g;
        put(m, mxfp4_value(bytes[block * 16 + within / 2], static_cast<int>(within % 2),
                           decode.scale_bytes[static_cast<std::size_t>(block)]));
      });
      break;
    }
  }
}

}  // namespace titan
