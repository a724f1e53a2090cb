// Llama4's Hugging Face state-dict adapter (the text model of
// Llama4ForConditionalGeneration, under "language_model."): names as
// torchtitan's Llama4 adapter mapped them (d92336fee^); no q/k permutation
// (both use interleaved complex RoPE); routed experts as HF's fused
// gate_up_proj [E, D, 2 Fm] = [w1^T | w3^T] and down_proj [E, Fm, D] = w2^T;
// dense layers as Llama4TextMLP; config.json. Host-only.
#pragma once

#include "titan/checkpoint/hf_adapter.hpp"
#include "titan/config/model_args.hpp"

#include <memory>

namespace titan {

std::unique_ptr<HfAdapter> llama4_hf_adapter(ModelArgs const& args);

}  // namespace titan
