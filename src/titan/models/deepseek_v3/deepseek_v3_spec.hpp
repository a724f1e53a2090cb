// The DeepSeek-V3 family's DecoderSpec (debugmodel, 16B, 236B, 671B): MLA
// attention (q directly or through q_lora_rank, compressed kv, a shared
// rotated k_pe), complex-pair RoPE on the qk_rope_head_dim part from the
// model's YaRN table, the YaRN softmax scale, the first n_dense_layers dense
// SwiGLU, the rest MoE with shared experts and optional node-limited routing;
// every norm eps = norm_eps; titan's classic FQNs.
#pragma once

#include "titan/forward/decoder_spec.hpp"
#include "titan/models/deepseek_v3/deepseek_v3_args.hpp"

namespace titan {

DecoderSpec deepseek_v3_decoder_spec(DeepSeekV3Args const& args);

}  // namespace titan
