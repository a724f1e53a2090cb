// Decoders of the stored formats --load accepts (checkpoint/quantized_formats,
// piece_transfer): values of hand-built bit patterns and tensors whose
// decoded values are known from the format definitions, written out here.
#include "titan/checkpoint/piece_transfer.hpp"
#include "titan/checkpoint/quantized_formats.hpp"
#include "titan/core/bf16.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

using namespace titan;

TEST_CASE("FP8 E4M3 (e4m3fn): bias 7, subnormals, no infinities", "[quantized]") {
  CHECK(fp8_e4m3_to_float(0x38) == 1.0f);      // 0 0111 000: 2^0
  CHECK(fp8_e4m3_to_float(0x39) == 1.125f);    // 0 0111 001: 1 + 1/8
  CHECK(fp8_e4m3_to_float(0x40) == 2.0f);      // 0 1000 000
  CHECK(fp8_e4m3_to_float(0x7E) == 448.0f);    // 0 1111 110: the largest, 1.75 * 2^8
  CHECK(fp8_e4m3_to_float(0xFE) == -448.0f);
  CHECK(fp8_e4m3_to_float(0x08) == 0.015625f);  // 0 0001 000: 2^-6, the smallest normal
  CHECK(fp8_e4m3_to_float(0x01) == std::ldexp(1.0f, -9));  // the smallest subnormal: 1/8 * 2^-6
  CHECK(fp8_e4m3_to_float(0x07) == std::ldexp(7.0f, -9));
  CHECK(fp8_e4m3_to_float(0x00) == 0.0f);
  CHECK(std::signbit(fp8_e4m3_to_float(0x80)));
  CHECK(std::isnan(fp8_e4m3_to_float(0x7F)));
  CHECK(std::isnan(fp8_e4m3_to_float(0xFF)));
  CHECK(fp8_e4m3_to_float(0x78) == 256.0f);  // 0 1111 000: exponent 15 is finite in e4m3fn
}

TEST_CASE("FP4 E2M1, E8M0 and F16", "[quantized]") {
  float const fp4[16] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0.0f, -0.5f, -1, -1.5f, -2, -3, -4, -6};
  for (int n = 0; n < 16; ++n) {
    CHECK(fp4_e2m1_to_float(static_cast<std::uint8_t>(n)) == fp4[n]);
    CHECK(std::signbit(fp4_e2m1_to_float(static_cast<std::uint8_t>(n))) == (n >= 8));
  }
  CHECK(e8m0_to_float(127) == 1.0f);
  CHECK(e8m0_to_float(130) == 8.0f);
  CHECK(e8m0_to_float(120) == 0.0078125f);
  CHECK(e8m0_to_float(0) == std::ldexp(1.0f, -127));
  CHECK(std::isnan(e8m0_to_float(255)));
  CHECK(f16_to_float(0x3C00) == 1.0f);
  CHECK(f16_to_float(0xC000) == -2.0f);
  CHECK(f16_to_float(0x7BFF) == 65504.0f);
  CHECK(f16_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(f16_to_float(0x3555) == (1.0f + 0x155 / 1024.0f) / 4);  // 0 01101 0101010101: (1 + 341/1024) * 2^-2
  CHECK(std::isinf(f16_to_float(0x7C00)));
  CHECK(std::isnan(f16_to_float(0x7E00)));
}

TEST_CASE("FP8 blocks: each 128x128 block takes its own scale, partial blocks included", "[quantized]") {
  // A [3, 130] weight: columns 0-127 in block column 0 (scale 0.5), 128-129
  // in block column 1 (scale 4). Every code is 0x39 (1.125) but (2, 129), 0xC0 (-2).
  std::int64_t const R = 3, C = 130;
  std::vector<std::uint8_t> codes(static_cast<std::size_t>(R * C), 0x39);
  codes[2 * C + 129] = 0xC0;
  StoredPiece const piece = stored_whole("w", {R, C})[0];
  // The rank holds rows 1-2: its slab, and the scales of block row 0.
  std::vector<PieceSlab> slabs = piece_slabs(piece, {1, 0}, {2, C}, 100);
  REQUIRE(slabs.size() == 1);
  StoredDecode d;
  d.encoding = StoredEncoding::fp8_block;
  d.dtype = StoredDType::F8_E4M3;
  d.scale_row0 = 0;
  d.scale_cols = 2;
  d.scales = {0.5f, 4.0f};
  std::vector<float> out(static_cast<std::size_t>(2 * C));
  stored_to_model(piece, slabs[0], d, codes.data() + C, DType::float32, out.data());
  CHECK(out[0] == 0.5625f);    // (1, 0): 1.125 * 0.5
  CHECK(out[127] == 0.5625f);  // (1, 127)
  CHECK(out[128] == 4.5f);     // (1, 128): 1.125 * 4
  CHECK(out[C + 128] == 4.5f);
  CHECK(out[C + 129] == -8.0f);  // (2, 129): -2 * 4
  // Into bfloat16: the float32 product rounded to nearest even.
  d.scales = {1.0f / 3.0f, 4.0f};
  std::vector<std::uint16_t> b(static_cast<std::size_t>(2 * C));
  stored_to_model(piece, slabs[0], d, codes.data() + C, DType::bfloat16, b.data());
  float const p = 1.125f * (1.0f / 3.0f);  // 0.375 in float32 arithmetic
  CHECK(bf16_to_float(b[0]) == 0.375f);
  CHECK(b[0] == float_to_bf16(p));
}

TEST_CASE("MXFP4: low nibble first, 32 values per block, one E8M0 scale per block", "[quantized]") {
  // [E=1, R=2, C=64]: blocks [1, 2, 2, 16], scales [1, 2, 2].
  std::vector<std::uint8_t> blocks(64, 0x21);  // every byte: low 0x1 (0.5), high 0x2 (1.0)
  blocks[2 * 16 + 15] = 0xF7;                  // row 1, block 0, byte 15: low 0x7 (6), high 0xF (-6)
  std::vector<std::uint8_t> const scales = {127, 128, 130, 126};  // row 0: x1, x2; row 1: x8, x0.5
  StoredPiece const piece = stored_whole("w_blocks", {1, 2, 64})[0];
  // A slab of columns 0-63 of both rows (the whole tensor).
  std::vector<PieceSlab> slabs = piece_slabs(piece, {0, 0, 0}, {1, 2, 64}, 10);
  REQUIRE(slabs.size() == 1);
  StoredDecode d;
  d.encoding = StoredEncoding::mxfp4;
  d.dtype = StoredDType::U8;
  d.group0 = 0;
  d.groups = 2;
  d.scale_bytes = scales;
  CHECK(stored_box_bytes(slabs[0], d) == 64);
  std::vector<float> out(128);
  stored_to_model(piece, slabs[0], d, blocks.data(), DType::float32, out.data());
  CHECK(out[0] == 0.5f);        // row 0, element 0: low nibble of byte 0, scale 1
  CHECK(out[1] == 1.0f);        // element 1: its high nibble
  CHECK(out[32] == 1.0f);       // row 0, block 1: scale 2
  CHECK(out[33] == 2.0f);
  CHECK(out[64] == 4.0f);       // row 1, block 0: scale 8
  CHECK(out[64 + 30] == 48.0f);  // byte 15 low nibble: 6 * 8
  CHECK(out[64 + 31] == -48.0f);
  CHECK(out[96] == 0.25f);      // row 1, block 1: scale 0.5
  CHECK(out[127] == 0.5f);
}

TEST_CASE("Piece layouts: transposed storage and HF's rotate-half rows", "[quantized]") {
  // [E=2, A=3, B=4] stored [2, 4, 3]: stored[e][b][a] = model[e][a][b].
  Extents const shape = {2, 3, 4};
  StoredPiece const p = stored_transposed("t", shape)[0];
  CHECK(p.stored_shape == Extents{2, 4, 3});
  CHECK_FALSE(same_order(p));
  std::vector<float> model(24), stored(24), back(24);
  for (int i = 0; i < 24; ++i) model[static_cast<std::size_t>(i)] = static_cast<float>(i);
  std::vector<PieceSlab> const slabs = piece_slabs(p, {0, 0, 0}, shape, 1);  // one expert per slab
  REQUIRE(slabs.size() == 2);
  CHECK(slabs[1].local_begin == 12);
  CHECK(slabs[1].stored_from == Extents{1, 0, 0});
  model_to_stored(p, slabs[1], sizeof(float), model.data() + 12, stored.data());
  for (int b = 0; b < 4; ++b)
    for (int a = 0; a < 3; ++a) CHECK(stored[static_cast<std::size_t>(b * 3 + a)] == model[static_cast<std::size_t>(12 + a * 4 + b)]);
  StoredDecode d;  // plain F32, the model's dtype: the exact bits, reordered back
  stored_to_model(p, slabs[1], d, stored.data(), DType::float32, back.data());
  for (int i = 0; i < 12; ++i) CHECK(back[static_cast<std::size_t>(i)] == model[static_cast<std::size_t>(12 + i)]);
  // torchtitan's _permute: within a head of hd rows, titan row 2i + c is HF row c * hd/2 + i.
  CHECK(hf_rope_row(0, 8, 2) == 0);
  CHECK(hf_rope_row(1, 8, 2) == 2);  // i 0, c 1
  CHECK(hf_rope_row(2, 8, 2) == 1);  // i 1, c 0
  CHECK(hf_rope_row(3, 8, 2) == 3);
  CHECK(hf_rope_row(5, 8, 2) == 6);  // second head: 4 + 2
}
