// Upper bounds on a model's sizes, checked when the deck is read, so that
// every size, element count and byte count the program derives fits in
// 64-bit integers and the module tree stays small enough to plan with.
#pragma once

#include <cstdint>

namespace titan {

//! At most this many parameters (2^50, about 2,800 times Llama3 405B):
//! bytes of any sum of tensors then stay far below 2^63.
constexpr double max_model_params = 1125899906842624.0;
//! Bytes of the replicated buffers (the RoPE table): at most 2^50 (1 PiB).
constexpr double max_buffer_bytes = 1125899906842624.0;
//! At most this many layers: the module tree (and the memory guard's plan,
//! built before anything is allocated) has one entry per layer.
constexpr std::int64_t max_layers = 65536;

}  // namespace titan
