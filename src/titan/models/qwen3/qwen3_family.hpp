// The Qwen3 family (dense and MoE): the Decoder config with the spec's init
// rules (4.3) and default placements (5.3-5.5), and its registry entry.
#pragma once

#include "titan/models/family.hpp"
#include "titan/models/qwen3/qwen3_args.hpp"
#include "titan/modules/attention.hpp"
#include "titan/modules/decoder.hpp"
#include "titan/modules/feed_forward.hpp"
#include "titan/modules/moe.hpp"

namespace titan {

//! The whole Decoder config on `mesh` (placements depend on it for the
//! routed experts). Init, plain normal (not truncated): everything
//! N(0, 0.02), except for MoE flavors wo and the experts' w2, N(0, rho) with
//! rho = 0.02 / sqrt(2 L) (L = the total layer count); tied flavors skip the
//! embedding (its values are output.weight's); norms (q_norm, k_norm
//! included) ones. Block: attention (wq, wk, wv, wo, q_norm, k_norm),
//! feed_forward | moe, attention_norm, ffn_norm.
Decoder::Config qwen3_config(Qwen3Args const& args, Mesh const& mesh);

//! Total minus, in each MoE layer, the (E - K) routed experts a token does not use.
std::int64_t qwen3_activated_params(Qwen3Args const& args, std::int64_t total);

Family qwen3_family();

}  // namespace titan
