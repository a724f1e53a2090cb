// The RoPE buffer freqs_cis [max_seq_len, dim/2, 2] filled by a Kokkos
// kernel over its elements (issue 20): the same bits as the host reference
// (rope.hpp's rope_table_value(), libm's cos/sin in double), at vector speed.
// The kernel computes cos/sin with its own reduction and polynomials
// (rope_sincos.hpp) and flags the rare elements (about 2^-23 of them) whose
// float it cannot vouch for; those are then computed on the host by the
// reference and written into place.
#pragma once

#include "titan/core/types.hpp"
#include "titan/init/launch_shape.hpp"
#include "titan/modules/rope.hpp"
#include "titan/modules/rope_sincos.hpp"

#include <cstdint>
#include <functional>

namespace titan {

struct RopeTableFill {
  std::int64_t elements = 0;        // the table's floats
  std::int64_t flagged = 0;         // elements the kernel left to the host reference
  bool whole_table_on_host = false; // too many flagged (angles past 2e8): the reference filled it all
  LaunchShape shape;                // work items (pairs per item in `group`) of the kernel
};

//! Fills `table` (c.max_seq_len * c.dim elements) with the RoPE table of `c`;
//! `progress(elements)` is called as slabs of it are done. Not collective.
//! `fast_angle_limit`: angles from it on go to the reference (tests lower it).
RopeTableFill fill_rope_buffer(RoPEConfig const& c, View1<float> const& table,
                               std::function<void(double)> const& progress = {},
                               KernelPath path = default_kernel_path, double fast_angle_limit = rope_fast_angle_limit);

}  // namespace titan
