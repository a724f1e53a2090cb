// Element decoders of the stored formats --load accepts besides F32/BF16
// (docs/checkpoint.md): F16, FP8 E4M3 with 128x128-block scales (DeepSeek-V3's
// `weight` + `weight_scale_inv`), and MXFP4 (gpt-oss's `*_blocks` + `*_scales`:
// two FP4 E2M1 values per byte, low nibble first, 32 per block, one E8M0
// scale per block). Every decoder returns float32; the dequantized product
// is the float32 product (as torch computes it in float32), rounded to
// bfloat16 afterwards for a bfloat16 run. Host-only, no Kokkos, no MPI.
#pragma once

#include <cstdint>

namespace titan {

//! IEEE binary16 -> float (exact).
float f16_to_float(std::uint16_t h);
//! OCP FP8 E4M3 (e4m3fn: bias 7, no infinities, S.1111.111 = NaN) -> float (exact).
float fp8_e4m3_to_float(std::uint8_t b);
//! OCP FP4 E2M1 (bias 1): 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives -> float (exact).
float fp4_e2m1_to_float(std::uint8_t nibble);
//! OCP E8M0 scale: 2^(b - 127); 0xFF is NaN.
float e8m0_to_float(std::uint8_t b);

//! FP8 block quantization: the element at (r, c) of a [rows, cols] weight is
//! fp8(r, c) * scale_inv[r / block, c / block] (block 128 in DeepSeek-V3).
constexpr std::int64_t fp8_block = 128;
//! MXFP4: 32 values per block, in 16 bytes; element 2j of a block is the low
//! nibble of byte j, element 2j + 1 its high nibble.
constexpr std::int64_t mxfp4_block = 32;
inline float mxfp4_value(std::uint8_t byte, int high, std::uint8_t scale) {
  return fp4_e2m1_to_float(high ? static_cast<std::uint8_t>(byte >> 4) : static_cast<std::uint8_t>(byte & 0x0f)) *
         e8m0_to_float(scale);
}

}  // namespace titan
