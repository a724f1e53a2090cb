// The GPT-OSS family: the Decoder config with the spec's init rules (4.5)
// and default placements (5.3-5.5), and its registry entry.
#pragma once

#include "titan/models/family.hpp"
#include "titan/models/gpt_oss/gpt_oss_args.hpp"
#include "titan/modules/attention.hpp"
#include "titan/modules/decoder.hpp"
#include "titan/modules/moe.hpp"

namespace titan {

//! The whole Decoder config on `mesh`. Init with sigma_i = 0.02 / sqrt(2 (i+1))
//! (trunc-normal with torch's default bounds +-2): wq/wk/wv, wo, sinks, router
//! gate and all four expert tensors (mlp1/mlp2 weights AND biases) TN(sigma_i);
//! wq/wk/wv/wo and gate biases zeros; norms ones; embedding N(0, 0.02);
//! output TN(dim^-0.5, +-3 dim^-0.5); untied. Block: attention (wq, wk, wv,
//! wo with biases, sinks), attention_norm, ffn_norm, moe (experts
//! mlp1_weight/mlp1_bias/mlp2_weight/mlp2_bias, router.gate with bias).
//! Throws InputError when tp splits mlp1's 2 Fm rows into odd chunks.
Decoder::Config gpt_oss_config(GptOssArgs const& args, Mesh const& mesh);

//! Total minus, in each layer, the (E - K) routed experts a token does not
//! use (each 3 D Fm + 2 Fm + D parameters: weights and biases).
std::int64_t gpt_oss_activated_params(GptOssArgs const& args, std::int64_t total);

Family gpt_oss_family();

}  // namespace titan
