// Qwen3's Hugging Face state-dict adapter (Qwen3ForCausalLM, and
// Qwen3MoeForCausalLM for the MoE flavors): names as torchtitan's Qwen3
// adapter maps them; q/k need no permutation (both use rotate-half RoPE);
// routed experts [E, ...] stored one tensor per expert as HF's checkpoints
// do; config.json. Host-only.
#pragma once

#include "titan/checkpoint/hf_adapter.hpp"
#include "titan/config/model_args.hpp"

#include <memory>

namespace titan {

std::unique_ptr<HfAdapter> qwen3_hf_adapter(ModelArgs const& args);

}  // namespace titan
