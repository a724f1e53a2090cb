// Size rules and mesh checks of the MoE families (host-only arithmetic and
// messages, shared by the families' deck and model sides).
#pragma once

#include "titan/core/errors.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace titan {

//! Llama4's expert hidden size (torchtitan's compute_moe_hidden_dim; the
//! rounding comes LAST): h = int(2 * (4 dim) / 3); h = int(mult * h) if a
//! multiplier is given; h = int(h / (top_k + num_shared)); h += (-h) mod multiple_of.
inline std::int64_t moe_hidden_dim(std::int64_t dim, std::int64_t multiple_of, std::optional<double> multiplier,
                                   std::int64_t top_k, std::int64_t num_shared) {
  std::int64_t h = static_cast<std::int64_t>(2 * (4 * dim) / 3.0);
  if (multiplier) h = static_cast<std::int64_t>(*multiplier * static_cast<double>(h));
  h = static_cast<std::int64_t>(static_cast<double>(h) / static_cast<double>(top_k + num_shared));
  return h + ((multiple_of - h % multiple_of) % multiple_of);
}

//! The expert-parallel checks (spec 5.1): a model without routed experts
//! needs ep = 1; otherwise ep divides num_experts. `what` names the model
//! ("qwen3 flavor 'debugmodel'").
inline void check_expert_parallel(int ep_size, bool has_experts, std::int64_t num_experts, std::string const& what) {
  if (!has_experts) {
    require(ep_size == 1, "[mesh] ep = " + std::to_string(ep_size) + " but " + what +
                              " has no routed experts to split; use ep = 1");
    return;
  }
  require(num_experts % ep_size == 0, "[mesh] ep = " + std::to_string(ep_size) + " does not divide num_experts = " +
                                          std::to_string(num_experts) +
                                          " (expert parallelism gives every ep rank the same number of whole experts)");
}

//! top_k between 1 and num_experts (checked when the deck is read).
inline void check_top_k(std::int64_t top_k, std::int64_t num_experts, std::string const& where) {
  require(top_k <= num_experts, where + " top_k = " + std::to_string(top_k) + " is more than num_experts = " +
                                    std::to_string(num_experts) + " (a token picks top_k distinct experts)");
}

}  // namespace titan
