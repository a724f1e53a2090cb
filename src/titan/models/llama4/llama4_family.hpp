// The Llama4 family: the Decoder config with the spec's init rules (4.2) and
// default placements (5.3-5.5), and its registry entry.
#pragma once

#include "titan/models/family.hpp"
#include "titan/models/llama4/llama4_args.hpp"
#include "titan/modules/attention.hpp"
#include "titan/modules/decoder.hpp"
#include "titan/modules/feed_forward.hpp"
#include "titan/modules/moe.hpp"

namespace titan {

//! The whole Decoder config on `mesh`. Init (trunc-normal, torch's default
//! bounds +-2): wq/wk/wv, dense w1, experts w1, shared w1 TN(0.02); wo, dense
//! w2/w3, router gate, experts w2/w3, shared w2/w3 TN(sigma_i) with
//! sigma_i = 0.02 / sqrt(2 (i+1)); embedding N(0, 1); output
//! TN(dim^-0.5, +-3 dim^-0.5); norms ones. Block: attention,
//! moe | feed_forward, attention_norm, ffn_norm; MoE: experts, router,
//! shared_experts.
Decoder::Config llama4_config(Llama4Args const& args, Mesh const& mesh);

//! Total minus, in each MoE layer, the (E - K) routed experts a token does not use.
std::int64_t llama4_activated_params(Llama4Args const& args, std::int64_t total);

Family llama4_family();

}  // namespace titan
