// The counter-based generator behind every random initializer (design §3):
// element i of parameter P gets 32 random bits that depend only on
// (seed, FQN of P, i). Philox4x32-10 yields four words per call, so element i
// uses word (i mod 4) of the call with counter i / 4.
#pragma once

#include <Kokkos_Macros.hpp>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define R123_CUDA_DEVICE __host__ __device__
#endif
#include <Random123/philox.h>

#include <cstdint>
#include <string>

namespace titan {

struct PhiloxKey {
  std::uint32_t k0 = 0, k1 = 0;
};

//! 64-bit FNV-1a of a string (the FQN hash).
std::uint64_t fnv1a64(std::string const& s);
//! splitmix64's finalizer: a bijective 64-bit mix.
KOKKOS_INLINE_FUNCTION std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
//! The Philox key of one parameter: mix64(mix64(seed) ^ fnv1a64(fqn)).
PhiloxKey philox_key(std::uint64_t seed, std::string const& fqn);

//! The four 32-bit words of block `block` (= global index / 4).
KOKKOS_INLINE_FUNCTION r123::Philox4x32::ctr_type philox_block(PhiloxKey key, std::uint64_t block) {
  r123::Philox4x32 gen;
  r123::Philox4x32::ctr_type ctr = {{static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32), 0u, 0u}};
  r123::Philox4x32::key_type k = {{key.k0, key.k1}};
  return gen(ctr, k);
}

//! The 32 random bits of global element `index`.
KOKKOS_INLINE_FUNCTION std::uint32_t philox_word(PhiloxKey key, std::uint64_t index) {
  return philox_block(key, index >> 2).v[index & 3u];
}

//! Maps 32 random bits to a double in the open interval (0, 1): (r + 1/2) / 2^32.
KOKKOS_INLINE_FUNCTION double open_unit(std::uint32_t r) {
  return (static_cast<double>(r) + 0.5) * (1.0 / 4294967296.0);
}

}  // namespace titan
