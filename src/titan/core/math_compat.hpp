// Math functions callable in Kokkos kernels on both Kokkos 3.4 and 4.x.
#pragma once

#include <Kokkos_Core.hpp>

namespace titan::math {

#if KOKKOS_VERSION >= 40000
using Kokkos::log;
using Kokkos::sqrt;
#else
using Kokkos::Experimental::log;
using Kokkos::Experimental::sqrt;
#endif

}  // namespace titan::math
