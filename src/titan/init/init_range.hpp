// Initializers whose values would not be finite in the storage type, or that
// the float32 sampler cannot resolve, are refused before anything is built
// (issue 12). Host-only: no Kokkos.
//
// The rule (docs/input_deck.md, [init.overrides]), with M the largest finite
// value of the storage type (float32 3.4028e38, bfloat16 3.3895e38):
//  - normal:       |mean| + 40 std <= M (the sampler reaches about 6.4 std);
//  - trunc_normal: |a|, |b| <= M and |mean| + 40 std <= float32's max (the
//                  sampler works in float32 before clamping to [a, b]); and
//                  [a, b] must hold enough probability for the sampler: with
//                  P = Phi((b-mean)/std) - Phi((a-mean)/std), P >= 1024 ulp
//                  of the float32 tail probability it starts from (an
//                  interval far in one tail, e.g. std = 1, a = 5.5, b = 6, is
//                  refused rather than sampled as NaN);
//  - uniform:      |a|, |b| <= M and b - a <= float32's max;
//  - constant:     |value| <= M.
#pragma once

#include "titan/core/dtype.hpp"
#include "titan/init/init_spec.hpp"

#include <string>

namespace titan {

//! Largest finite value of a storage type.
double storage_max(DType dtype);

//! Throws InputError, prefixed by `where`, when `spec` breaks the rule above
//! for `dtype`.
void check_init_range(InitSpec const& spec, DType dtype, std::string const& where);

}  // namespace titan
