// Math functions callable in Kokkos kernels on both Kokkos 3.4 and 4.x.
#pragma once

#include <Kokkos_Core.hpp>

#include <cmath>

namespace titan::math {

#if KOKKOS_VERSION >= 40000
using Kokkos::exp;
using Kokkos::log;
using Kokkos::sqrt;
#else
using Kokkos::Experimental::exp;
using Kokkos::Experimental::log;
using Kokkos::Experimental::sqrt;
#endif

//! a * b + c with one rounding (IEEE fused multiply-add): the same bits on
//! every platform, and one instruction where the hardware has FMA. Written
//! explicitly because the build disables the compiler's own contraction.
KOKKOS_INLINE_FUNCTION float fma(float a, float b, float c) {
#if KOKKOS_VERSION >= 40000
  return Kokkos::fma(a, b, c);
#else
  return ::fmaf(a, b, c);
#endif
}

}  // namespace titan::math
