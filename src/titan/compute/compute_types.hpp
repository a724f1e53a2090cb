// The types every compute kernel and module forward/backward shares:
// activations are float32 row-major matrices in the default memory space;
// weights are viewed (unmanaged) in the memory the WeightStore gathered them
// into. No TOML, no strings in kernels.
#pragma once

#include "titan/core/types.hpp"

#include <cstdint>
#include <string>

namespace titan {

template <class T>
using UView = Kokkos::View<T, Layout, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
using FVec = UView<float*>;
using FMat = UView<float**>;
using F3 = UView<float***>;
using F4 = UView<float****>;
//! The RoPE table [max_seq_len, rope_dim/2, 2] (cos, sin).
using FreqsView = UView<float***>;
using TokenView = Kokkos::View<std::int64_t*, Layout, MemSpace>;

//! An activation [rows, cols] that owns its memory (reference-counted: a
//! module keeps what its backward needs by holding the View).
using Act = Kokkos::View<float**, Layout, MemSpace>;
//! Heads layout [sequences, heads, T, head width].
using Act4 = Kokkos::View<float****, Layout, MemSpace>;

//! A new activation, uninitialized (every kernel writing one writes all of it).
inline Act new_act(std::string const& label, std::int64_t rows, std::int64_t cols) {
  return Act(Kokkos::view_alloc(Kokkos::WithoutInitializing, label), rows, cols);
}
//! A new activation filled with zeros (for accumulation).
inline Act zero_act(std::string const& label, std::int64_t rows, std::int64_t cols) { return Act(label, rows, cols); }
inline Act4 new_act4(std::string const& label, std::int64_t n, std::int64_t h, std::int64_t t, std::int64_t w) {
  return Act4(Kokkos::view_alloc(Kokkos::WithoutInitializing, label), n, h, t, w);
}
inline Act4 zero_act4(std::string const& label, std::int64_t n, std::int64_t h, std::int64_t t, std::int64_t w) {
  return Act4(label, n, h, t, w);
}

//! Counts the floating-point operations of the products actually computed
//! (2 m n k per gemm; norms, softmax, RoPE and element-wise work not counted).
struct FlopCounter {
  double flops = 0;
};

//! How RoPE pairs the features of a head (docs/forward.md).
//! interleaved: (x[2j], x[2j+1]) as one complex number (Llama3, torchtitan's ComplexRoPE);
//! rotate_half: (x[j], x[j+hd/2]) (Qwen3, gpt-oss, torchtitan's CosSinRoPE).
enum class RopeStyle { interleaved, rotate_half };

}  // namespace titan
