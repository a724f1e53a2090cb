// One home for the Kokkos types every part of titan uses.
#pragma once

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace titan {

using ExecSpace = Kokkos::DefaultExecutionSpace;  // CUDA build: Kokkos::Cuda
using MemSpace = ExecSpace::memory_space;
using HostSpace = Kokkos::HostSpace;
using Layout = Kokkos::LayoutRight;  // row-major: a local linear index maps to the global index in order

using bf16_bits = std::uint16_t;  // bfloat16 stored as its bit pattern

template <class T>
using View1 = Kokkos::View<T*, Layout, MemSpace>;

}  // namespace titan
