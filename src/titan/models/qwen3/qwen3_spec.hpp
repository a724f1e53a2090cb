// The Qwen3 family's DecoderSpec (dense and MoE): explicit head_dim, q/k
// RMSNorm per head before RoPE, rotate-half RoPE (torchtitan's CosSinRoPE)
// on the model's freqs_cis table, GQA, dense SwiGLU or a routed MoE in every
// layer, all norms eps = norm_eps (1e-6); titan's classic FQNs.
#pragma once

#include "titan/forward/decoder_spec.hpp"
#include "titan/models/qwen3/qwen3_args.hpp"

namespace titan {

DecoderSpec qwen3_decoder_spec(Qwen3Args const& args);

}  // namespace titan
