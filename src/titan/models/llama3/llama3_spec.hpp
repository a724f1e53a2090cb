// The Llama3 family's DecoderSpec (interleaved complex RoPE, GQA, dense
// SwiGLU in every layer, no qk-norm), with titan's classic FQNs.
#pragma once

#include "titan/forward/decoder_spec.hpp"
#include "titan/models/llama3/llama3_args.hpp"

namespace titan {

DecoderSpec llama3_decoder_spec(Llama3Args const& args);

}  // namespace titan
