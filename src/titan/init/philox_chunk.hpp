// Philox4x32-10 for a run of consecutive counters, written as loops over
// independent lanes (structure of arrays) so that the compiler vectorizes
// them. Bit-identical to r123::Philox4x32 (checked by tests/unit/test_counter_rng).
#pragma once

#include "titan/init/counter_rng.hpp"

#include <cstdint>
#include <cstring>

namespace titan {

// 32 counters per call, not 16: each lane's ten rounds are a dependent chain
// and more lanes give the core more independent chains to overlap. Measured
// with the scalar-lane loop (the fallback below; 64-bit products by AVX-512's
// vpmullq, latency ~15 cycles) on one core (Xeon, AVX-512, GCC 12,
// -march=native): 16 blocks 456 M words/s, 32 blocks 745, 64 blocks 765.
// Values do not depend on it (each word is a function of its counter only);
// stack use 4 x 128 words per work item.
constexpr int philox_chunk_blocks = 32;                       // counters per call
constexpr int philox_chunk_words = 4 * philox_chunk_blocks;   // 128 words = elements

#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__) && !defined(__HIPCC__)
// GCC on the host: the chunk on 64-bit vector lanes, one Philox block per
// lane, its four words packed two to a lane: X = (c0, c1), Y = (c2, c3)
// (low, high 32 bits). A round is then, per lane,
//   P0 = lo32(X) * M0, P1 = lo32(Y) * M1                  (full 64-bit products)
//   X' = rotl(P1, 32) ^ (X >> 32) ^ k0   = (hi P1 ^ c1 ^ k0, lo P1)
//   Y' = rotl(P0, 32) ^ (Y >> 32) ^ k1   = (hi P0 ^ c3 ^ k1, lo P0)
// which is Philox4x32's round exactly: one 32x32->64 multiply (vpmuludq
// with AVX-512F), a rotate, a shift and a three-way xor per two words, and
// the counter is X itself. The scalar-lane loop below (the fallback) let GCC
// widen every word to 64 bits, multiply with vpmullq and pack the halves
// back with permutes: about twice the instructions (perf, issue 20).
#define TITAN_PHILOX_VECTOR_TYPES 1
typedef std::uint64_t philox_v8u64 __attribute__((vector_size(64)));

//! lo32(a) * m lane by lane (m < 2^32): the full 64-bit product.
inline philox_v8u64 philox_mul_lo32(philox_v8u64 a, std::uint64_t m) {
#ifdef __AVX512F__
  // vpmuludq through GCC's builtin (the intrinsic _mm512_mul_epu32 passes an
  // undefined merge source that GCC 12 warns about); GCC does not find it
  // from the masked product below (it emits vpandq + vpmullq).
  typedef int v16si __attribute__((vector_size(64)));
  typedef long long v8di __attribute__((vector_size(64)));
  philox_v8u64 const mv = philox_v8u64{} + m;
  return (philox_v8u64)__builtin_ia32_pmuludq512_mask((v16si)a, (v16si)mv, v8di{}, (unsigned char)0xFF);
#else
  return (a & 0xFFFFFFFFull) * m;
#endif
}

//! Words of blocks first_block .. first_block + philox_chunk_blocks - 1: out[4 b + w] is word w of
//! block first_block + b, i.e. the random bits of element 4 (first_block + b) + w.
inline void philox_chunk(PhiloxKey key, std::uint64_t first_block, std::uint32_t (&out)[philox_chunk_words]) {
  constexpr int L = 8;                         // lanes (blocks) per vector
  constexpr int V = philox_chunk_blocks / L;   // vectors: 4 independent chains of X and of Y
  static_assert(philox_chunk_blocks % L == 0, "whole vectors");
  philox_v8u64 const iota = {0, 1, 2, 3, 4, 5, 6, 7};
  philox_v8u64 X[V], Y[V];
  for (int v = 0; v < V; ++v) {
    X[v] = iota + (first_block + static_cast<std::uint64_t>(v * L));  // (c0, c1) = the 64-bit counter
    Y[v] = philox_v8u64{};                                             // (c2, c3) = 0
  }
  std::uint64_t k0 = key.k0, k1 = key.k1;
#pragma GCC unroll 10
  for (int round = 0; round < 10; ++round) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      philox_v8u64 const p0 = philox_mul_lo32(X[v], 0xD2511F53ull);
      philox_v8u64 const p1 = philox_mul_lo32(Y[v], 0xCD9E8D57ull);
      X[v] = ((p1 >> 32) | (p1 << 32)) ^ (X[v] >> 32) ^ k0;
      Y[v] = ((p0 >> 32) | (p0 << 32)) ^ (Y[v] >> 32) ^ k1;
    }
    k0 = (k0 + 0x9E3779B9ull) & 0xFFFFFFFFull;  // Weyl sequence of the key, mod 2^32
    k1 = (k1 + 0xBB67AE85ull) & 0xFFFFFFFFull;
  }
  // Block b's words are X[b] then Y[b] as 64-bit pairs (little-endian):
  // interleave the lanes of X and Y.
  typedef std::int64_t idx_t __attribute__((vector_size(64)));
  idx_t const lo_half = {0, 8, 1, 9, 2, 10, 3, 11}, hi_half = {4, 12, 5, 13, 6, 14, 7, 15};
  for (int v = 0; v < V; ++v) {
    philox_v8u64 const a = __builtin_shuffle(X[v], Y[v], lo_half), b = __builtin_shuffle(X[v], Y[v], hi_half);
    std::memcpy(out + 4 * L * v, &a, sizeof a);
    std::memcpy(out + 4 * L * v + 2 * L, &b, sizeof b);
  }
}
#else
//! Words of blocks first_block .. first_block + philox_chunk_blocks - 1: out[4 b + w] is word w of
//! block first_block + b, i.e. the random bits of element 4 (first_block + b) + w.
KOKKOS_INLINE_FUNCTION void philox_chunk(PhiloxKey key, std::uint64_t first_block,
                                         std::uint32_t (&out)[philox_chunk_words]) {
  // Lane b runs all ten rounds on its own counter; the lanes are independent,
  // so the loop over b vectorizes (the round loop is unrolled inside it).
  std::uint32_t o0[philox_chunk_blocks], o1[philox_chunk_blocks], o2[philox_chunk_blocks], o3[philox_chunk_blocks];
  for (int b = 0; b < philox_chunk_blocks; ++b) {
    std::uint64_t const ctr = first_block + static_cast<std::uint64_t>(b);
    std::uint32_t c0 = static_cast<std::uint32_t>(ctr), c1 = static_cast<std::uint32_t>(ctr >> 32), c2 = 0, c3 = 0;
    std::uint32_t k0 = key.k0, k1 = key.k1;
    // nvcc's front end defines __GNUC__ but rejects GCC's pragma: its device
    // pass gets `#pragma unroll`, its host pass no hint (speed only).
#if defined(__clang__) || defined(__CUDA_ARCH__)
#pragma unroll
#elif defined(__GNUC__) && !defined(__CUDACC__)
#pragma GCC unroll 10
#endif
    for (int round = 0; round < 10; ++round) {
      std::uint64_t const p0 = 0xD2511F53ull * c0;
      std::uint64_t const p1 = 0xCD9E8D57ull * c2;
      std::uint32_t const n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0;
      std::uint32_t const n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1;
      c1 = static_cast<std::uint32_t>(p1);
      c3 = static_cast<std::uint32_t>(p0);
      c0 = n0;
      c2 = n2;
      k0 += 0x9E3779B9u;  // Weyl sequence of the key between rounds
      k1 += 0xBB67AE85u;
    }
    o0[b] = c0;
    o1[b] = c1;
    o2[b] = c2;
    o3[b] = c3;
  }
  for (int b = 0; b < philox_chunk_blocks; ++b) {
    out[4 * b + 0] = o0[b];
    out[4 * b + 1] = o1[b];
    out[4 * b + 2] = o2[b];
    out[4 * b + 3] = o3[b];
  }
}
#endif

}  // namespace titan
