// Llama3's Hugging Face state-dict adapter (LlamaForCausalLM): names as
// torchtitan's Llama3 adapter maps them, q/k rows permuted from titan's
// interleaved-pair RoPE layout to HF's rotate-half one, a tied embedding
// stored once as model.embed_tokens.weight, config.json. Host-only.
#pragma once

#include "titan/checkpoint/hf_adapter.hpp"
#include "titan/config/model_args.hpp"

#include <memory>

namespace titan {

std::unique_ptr<HfAdapter> llama3_hf_adapter(ModelArgs const& args);

}  // namespace titan
