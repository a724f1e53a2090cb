// GPT-OSS's Hugging Face state-dict adapter (GptOssForCausalLM): names as
// torchtitan's gpt-oss adapter maps them; mlp1 [E, 2 Fm, D] (gate/up rows
// interleaved, as OpenAI's and HF's) saved as HF's unquantized gate_up_proj
// [E, D, 2 Fm] (interleave kept on the last dimension), mlp2 [E, D, Fm] as
// down_proj [E, Fm, D]; on load also the published MXFP4 form
// (gate_up_proj_blocks/_scales [E, 2 Fm, D/32, ...], no transpose) and
// torchtitan's own to_hf form (unquantized values under the *_blocks
// names); config.json. Host-only.
#pragma once

#include "titan/checkpoint/hf_adapter.hpp"
#include "titan/config/model_args.hpp"

#include <memory>

namespace titan {

std::unique_ptr<HfAdapter> gpt_oss_hf_adapter(ModelArgs const& args);

}  // namespace titan
