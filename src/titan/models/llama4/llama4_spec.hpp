// The Llama4 family's DecoderSpec: Llama3-style GQA with interleaved complex
// RoPE (llama scaling in the model's freqs_cis table), NoPE layers (no RoPE,
// full causal attention) and chunked causal attention on the RoPE layers
// (fixed_attn_block_size), dense SwiGLU layers between MoE layers with a
// sigmoid top-1 router, the gate applied to the expert's input
// (score_before_experts) and a shared expert; titan's classic FQNs.
#pragma once

#include "titan/forward/decoder_spec.hpp"
#include "titan/models/llama4/llama4_args.hpp"

namespace titan {

DecoderSpec llama4_decoder_spec(Llama4Args const& args);

}  // namespace titan
