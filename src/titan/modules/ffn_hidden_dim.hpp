// Llama's SwiGLU hidden-size rule (host-only arithmetic, shared by the
// FeedForward module and the families' deck checks).
#pragma once

#include <cstdint>
#include <optional>

namespace titan {

//! h = int(8*dim/3); if a multiplier is given h = int(multiplier * h);
//! F = multiple_of * ceil(h / multiple_of) (torchtitan's compute_ffn_hidden_dim).
inline std::int64_t llama_ffn_hidden_dim(std::int64_t dim, std::int64_t multiple_of,
                                         std::optional<double> ffn_dim_multiplier) {
  std::int64_t h = static_cast<std::int64_t>(2 * (4 * dim) / 3.0);  // int(2 * 4*dim / 3), Python float division
  if (ffn_dim_multiplier) h = static_cast<std::int64_t>(*ffn_dim_multiplier * static_cast<double>(h));
  return multiple_of * ((h + multiple_of - 1) / multiple_of);
}

}  // namespace titan
