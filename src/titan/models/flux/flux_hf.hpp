// Flux's Hugging Face (diffusers FluxTransformer2DModel) state-dict adapter:
// names as torchtitan's Flux adapter maps them; the fused qkv (and, in the
// single-stream blocks, qkv + MLP input) projections stored as diffusers'
// separate to_q/to_k/to_v(/proj_mlp); the final modulation's two halves
// swapped (shift, scale -> scale, shift); files named
// diffusion_pytorch_model-*.safetensors; diffusers' config.json. Host-only.
#pragma once

#include "titan/checkpoint/hf_adapter.hpp"
#include "titan/config/model_args.hpp"

#include <memory>

namespace titan {

std::unique_ptr<HfAdapter> flux_hf_adapter(ModelArgs const& args);

}  // namespace titan
