#include "titan/init/counter_rng.hpp"

namespace titan {

std::uint64_t fnv1a64(std::string const& s) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return h;
}

PhiloxKey philox_key(std::uint64_t seed, std::string const& fqn) {
  std::uint64_t const k = mix64(mix64(seed) ^ fnv1a64(fqn));
  return PhiloxKey{static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(k >> 32)};
}

}  // namespace titan
