// The GPT-OSS family's DecoderSpec (torchtitan models/gpt_oss): biased
// wq/wk/wv/wo, per-head attention sinks, a causal sliding window on even
// layers, rotate-half RoPE on the model's YaRN freqs_cis table, the softmax
// scale hd^-0.5 * mscale^2, and in every layer a MoE with a biased router
// gate and biased mlp1/mlp2 experts with the clamped SwiGLU; titan's classic FQNs.
#pragma once

#include "titan/forward/decoder_spec.hpp"
#include "titan/models/gpt_oss/gpt_oss_args.hpp"

namespace titan {

DecoderSpec gpt_oss_decoder_spec(GptOssArgs const& args);

}  // namespace titan
