// Layout-invariant fingerprint and value statistics of a parameter (design §5).
#pragma once

#include "titan/init/counter_rng.hpp"
#include "titan/init/launch_shape.hpp"
#include "titan/init/value_stats.hpp"
#include "titan/modules/parameter.hpp"

#include <cstdint>

namespace titan {

//! The hash of one element: a 64-bit mix of its global index and value bits
//! (float32: 32 bits; bfloat16: 16 bits).
KOKKOS_INLINE_FUNCTION std::uint64_t element_hash(std::uint64_t global_index, std::uint32_t value_bits) {
  return mix64(global_index * 0x9E3779B97F4A7C15ull + value_bits + 0x632BE59BD9B4E019ull);
}

//! Statistics of this rank's local shard. Not collective.
ValueStats local_stats(ShardedTensor const& param);
//! Same on an explicit kernel path; `launched`, if given, receives the launch
//! shape (tests run the device path on the host with it).
ValueStats local_stats(ShardedTensor const& param, KernelPath path, LaunchShape* launched = nullptr);

//! Statistics of `count` values of p's dtype in host memory that hold p's
//! local elements local_begin .. local_begin + count - 1 (row-major over the
//! local box): a checkpoint load takes them from its staging buffer as it
//! reads, so loaded parameters need no second pass either. Not collective.
ValueStats host_values_stats(ShardedTensor const& param, void const* values, std::int64_t local_begin, std::int64_t count);

//! local_stats(param).fingerprint alone, by a lighter reduction (one 64-bit
//! sum): the value hash that --verify-layout compares between replicas.
std::uint64_t local_fingerprint(ShardedTensor const& param, KernelPath path = default_kernel_path,
                                LaunchShape* launched = nullptr);

//! The fingerprint of a float32 array whose global index is its position (a
//! buffer: replicated, never sharded), by a Kokkos reduction.
std::uint64_t values_fingerprint(View1<float> const& values);

//! Combines per-parameter fingerprints into the model's: order-independent
//! wrapping sum of mix64(fingerprint ^ fnv1a64(fqn)).
std::uint64_t combine_fingerprint(std::uint64_t model_so_far, std::string const& fqn, std::uint64_t param_fp);

}  // namespace titan
