// The DeepSeek-V3 family: the Decoder config with the spec's init rules
// (4.4) and default placements (5.3-5.5), and its registry entry.
#pragma once

#include "titan/models/deepseek_v3/deepseek_v3_args.hpp"
#include "titan/models/family.hpp"
#include "titan/modules/decoder.hpp"
#include "titan/modules/feed_forward.hpp"
#include "titan/modules/mla.hpp"
#include "titan/modules/moe.hpp"

namespace titan {

//! The whole Decoder config on `mesh`. Init (trunc-normal; torch's default
//! bounds +-2 unless said): MLA wq / wq_a / wq_b / wkv_a / wkv_b TN(0.02),
//! wo TN(sigma_i); dense w1 TN(0.02), w2/w3 TN(sigma_i); router gate
//! TN(sigma_i); experts w1 TN(0.02), w2/w3 TN(sigma_i); shared w1 TN(0.02),
//! w2/w3 TN(sigma_i); sigma_i = 0.02 / sqrt(2 (i+1)); embedding N(0, 1);
//! output TN(dim^-0.5, +-3 dim^-0.5); every norm (q_norm, kv_norm included)
//! ones. Block: attention, attention_norm, ffn_norm, moe | feed_forward.
//! Placements over tp: wq, wq_b, wkv_b Shard(0) (heads), wq_a, q_norm,
//! wkv_a, kv_norm Replicate, wo Shard(1); FSDP Shard(0) over dp_shard;
//! routed experts as every MoE family (common/placements.hpp).
Decoder::Config deepseek_v3_config(DeepSeekV3Args const& args, Mesh const& mesh);

//! Total minus, in each MoE layer, the (E - K) routed experts a token does not use.
std::int64_t deepseek_v3_activated_params(DeepSeekV3Args const& args, std::int64_t total);

Family deepseek_v3_family();

}  // namespace titan
