// DeepSeek-V3's Hugging Face state-dict adapter (DeepseekV3ForCausalLM):
// names as torchtitan's DeepSeek-V3 adapter maps them (no q/k permutation:
// HF's rope_interleave keeps torchtitan's complex pairs); routed experts
// stored one tensor per expert; the expert_bias buffer as
// mlp.gate.e_score_correction_bias; config.json. FP8 checkpoints (weight +
// weight_scale_inv) are read by the generic loader. Host-only.
#pragma once

#include "titan/checkpoint/hf_adapter.hpp"
#include "titan/config/model_args.hpp"

#include <memory>

namespace titan {

std::unique_ptr<HfAdapter> deepseek_v3_hf_adapter(ModelArgs const& args);

}  // namespace titan
