// Fills a parameter's local shard from its initializer (design §3): the value
// of global element i is a pure function of (seed, FQN, i, spec, dtype), so
// the result does not depend on the layout. No rank touches another's values.
#pragma once

#include "titan/init/init_spec.hpp"
#include "titan/init/launch_shape.hpp"
#include "titan/init/value_stats.hpp"
#include "titan/modules/parameter.hpp"

#include <cstdint>

namespace titan {

//! Writes every local element of `param` (which must be allocated) from `spec`.
//! `skip` writes nothing. Not collective.
void fill_parameter(Parameter& param, InitSpec const& spec, std::uint64_t seed);

//! Same on an explicit kernel path (tests run the device path on the host
//! with it); returns the launch shape the kernel ran with (constant kinds:
//! the stats kernel's shape).
LaunchShape fill_parameter(Parameter& param, InitSpec const& spec, std::uint64_t seed, KernelPath path);

//! What a fill kernel launched and the statistics of the values it stored
//! (this rank's local shard, as stored: after rounding to the dtype).
struct FillResult {
  LaunchShape shape;
  ValueStats stats = ValueStats::empty();
  bool filled = false;  // false for `skip`: nothing written, no statistics
};

//! The fill and, in the same kernel, the local statistics of what it wrote
//! (count, sum, sum of squares, min, max, fingerprint): the same as
//! local_stats() of the result, sums up to rounding order. Not collective.
FillResult fill_parameter_with_stats(Parameter& param, InitSpec const& spec, std::uint64_t seed,
                                     KernelPath path = default_kernel_path);

//! The value (as double) that element `global_index` of a parameter named
//! `fqn` gets, computed on the host one element at a time: the reference path
//! that tests compare the kernels against.
double reference_value(InitSpec const& spec, std::uint64_t seed, std::string const& fqn, DType dtype,
                       std::uint64_t global_index);

}  // namespace titan
