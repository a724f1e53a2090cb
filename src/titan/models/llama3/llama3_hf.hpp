// Llama3's Hugging Face interop for checkpoints (--checkpoint-names hf): the
// heads that decide the q/k row permutation and config.json as HF writes it
// for LlamaForCausalLM. Host-only.
#pragma once

#include "titan/checkpoint/checkpoint_names.hpp"
#include "titan/config/model_args.hpp"
#include "titan/core/dtype.hpp"

#include <string>

namespace titan {

AttentionHeads llama3_attention_heads(ModelArgs const& args);
std::string llama3_hf_config_json(ModelArgs const& args, DType dtype);

}  // namespace titan
