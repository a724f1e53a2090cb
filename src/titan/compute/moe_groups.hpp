// Node-limited (group-limited) MoE routing, torchtitan's
// TokenChoiceTopKRouter._get_node_limited_routing_scores: the E experts form
// G groups of E/G consecutive ids; a group's score is the sum of its two
// largest biased scores (scores + expert_bias, for softmax and sigmoid
// alike); the L groups with the largest group scores are kept and the
// experts of the other groups are excluded from the top-k (torch masks
// them with -inf). Ties go to the lower group id (torch.topk leaves them
// unspecified). Device code, called per token from the router kernel.
#pragma once

#include <Kokkos_Core.hpp>

#include <cstdint>

namespace titan {

//! keep(n, g) = 1 for the L chosen groups of token n, 0 for the others;
//! biased(e) gives the token's biased score of expert e.
template <class Biased, class Keep>
KOKKOS_INLINE_FUNCTION void choose_expert_groups(Biased const& biased, std::int64_t E, std::int64_t G, std::int64_t L,
                                                 std::int64_t n, Keep const& keep) {
  std::int64_t const per = E / G;
  for (std::int64_t g = 0; g < G; ++g) keep(n, g) = 0;
  for (std::int64_t l = 0; l < L; ++l) {
    std::int64_t best = -1;
    float best_v = 0;
    for (std::int64_t g = 0; g < G; ++g) {
      if (keep(n, g)) continue;
      float top1 = -3.4e38f, top2 = -3.4e38f;  // per >= 2 (checked with the deck)
      for (std::int64_t e = g * per; e < (g + 1) * per; ++e) {
        float const v = biased(e);
        if (v > top1) {
          top2 = top1;
          top1 = v;
        } else if (v > top2) {
          top2 = v;
        }
      }
      float const s = top1 + top2;
      if (best < 0 || s > best_v) {
        best = g;
        best_v = s;
      }
    }
    keep(n, best) = 1;
  }
}

}  // namespace titan
