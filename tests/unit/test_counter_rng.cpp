// Philox4x32-10 against Random123's published known-answer vectors and an
// independent scalar implementation written from the algorithm's definition.
#include "titan/init/counter_rng.hpp"

#include <catch2/catch.hpp>

#include <array>

namespace {

// Philox4x32 with 10 rounds, from Salmon et al. (SC'11): multipliers
// 0xD2511F53 / 0xCD9E8D57, Weyl key increments 0x9E3779B9 / 0xBB67AE85.
std::array<std::uint32_t, 4> philox_by_definition(std::array<std::uint32_t, 4> c, std::array<std::uint32_t, 2> k) {
  for (int round = 0; round < 10; ++round) {
    std::uint64_t const p0 = 0xD2511F53ull * c[0];
    std::uint64_t const p1 = 0xCD9E8D57ull * c[2];
    c = {static_cast<std::uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<std::uint32_t>(p1),
         static_cast<std::uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<std::uint32_t>(p0)};
    k[0] += 0x9E3779B9u;
    k[1] += 0xBB67AE85u;
  }
  return c;
}

std::array<std::uint32_t, 4> titan_block(std::array<std::uint32_t, 4> c, std::array<std::uint32_t, 2> k) {
  r123::Philox4x32 gen;
  auto r = gen(r123::Philox4x32::ctr_type{{c[0], c[1], c[2], c[3]}}, r123::Philox4x32::key_type{{k[0], k[1]}});
  return {r.v[0], r.v[1], r.v[2], r.v[3]};
}

}  // namespace

TEST_CASE("Philox4x32-10 matches Random123's known-answer vectors", "[rng]") {
  using A4 = std::array<std::uint32_t, 4>;
  CHECK(titan_block({0, 0, 0, 0}, {0, 0}) == A4{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(titan_block({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        A4{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(titan_block({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        A4{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("philox_word equals an independent Philox for element i = word i%4 of block i/4", "[rng]") {
  titan::PhiloxKey const key = titan::philox_key(1234, "layers.0.attention.wq.weight");
  for (std::uint64_t i : {0ull, 1ull, 2ull, 3ull, 4ull, 1023ull, (1ull << 32) * 4 + 6, 123456789012ull}) {
    std::uint64_t const block = i / 4;
    auto const expect = philox_by_definition(
        {static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32), 0, 0}, {key.k0, key.k1});
    CHECK(titan::philox_word(key, i) == expect[i % 4]);
  }
}

TEST_CASE("keys differ by seed and by FQN", "[rng]") {
  auto a = titan::philox_key(0, "norm.weight");
  auto b = titan::philox_key(1, "norm.weight");
  auto c = titan::philox_key(0, "output.weight");
  CHECK((a.k0 != b.k0 || a.k1 != b.k1));
  CHECK((a.k0 != c.k0 || a.k1 != c.k1));
  CHECK(titan::fnv1a64("") == 0xCBF29CE484222325ull);   // FNV-1a offset basis
  CHECK(titan::fnv1a64("a") == 0xAF63DC4C8601EC8Cull);  // published FNV-1a 64 test vector
}

TEST_CASE("open_unit stays strictly inside (0, 1)", "[rng]") {
  CHECK(titan::open_unit(0) > 0.0);
  CHECK(titan::open_unit(0xffffffffu) < 1.0);
  CHECK(titan::open_unit(0x80000000u) == Approx(0.5).margin(1e-9));
}

#include "titan/init/philox_chunk.hpp"

TEST_CASE("philox_chunk (vectorized lanes) equals Random123 block by block", "[rng]") {
  titan::PhiloxKey const key = titan::philox_key(99, "output.weight");
  for (std::uint64_t first : {0ull, 16ull, 4096ull, (1ull << 32) - 8, 0xFFFFFFFFFFFFFF00ull}) {
    std::uint32_t words[titan::philox_chunk_words];
    titan::philox_chunk(key, first, words);
    int mismatches = 0;
    for (int b = 0; b < titan::philox_chunk_blocks; ++b) {
      auto const ref = titan::philox_block(key, first + b);
      for (int w = 0; w < 4; ++w) mismatches += words[4 * b + w] != ref.v[w];
    }
    CHECK(mismatches == 0);
  }
}
