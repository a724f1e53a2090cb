// The Flux transformer root (model_families.md 4.6): not a Decoder. Children
// in torchtitan's registration order: pe_embedder, img_in, time_in,
// vector_in, txt_in, double_blocks.{b}, single_blocks.{b}, final_layer.
// No buffers (EmbedND computes RoPE on the fly).
#pragma once

#include "titan/models/flux/flux_blocks.hpp"
#include "titan/modules/model_config.hpp"

#include <vector>

namespace titan::flux {

class FluxModel final : public Module {
 public:
  struct Config : ModuleConfig, ModelConfig {
    std::int64_t in_channels = 64;
    std::int64_t out_channels = 64;
    std::int64_t vec_in_dim = 768;
    std::int64_t context_in_dim = 4096;
    std::int64_t hidden_size = 0;
    std::int64_t num_heads = 0;
    double mlp_ratio = 4.0;  // MLP width = int(hidden_size * mlp_ratio)
    std::int64_t patch_size = 1;
    std::int64_t time_dim = 256;  // width of the sinusoidal timestep embedding time_in reads
    EmbedND::Config pe_embedder;
    Linear::Config img_in, txt_in;
    MLPEmbedder::Config time_in, vector_in;
    std::vector<DoubleStreamBlock::Config> double_blocks;  // depth of them
    std::vector<SingleStreamBlock::Config> single_blocks;  // depth_single_blocks of them
    LastLayer::Config final_layer;
    std::unique_ptr<FluxModel> build(BuildContext const& ctx) const;
    std::unique_ptr<Module> build_model(BuildContext const& ctx) const override { return build(ctx); }
  };

  char const* type_name() const override { return "FluxModel"; }
  std::int64_t head_dim() const { return _head_dim; }
  std::int64_t mlp_hidden_dim() const { return _mlp_hidden_dim; }

 protected:
  void init_own_buffers(InitContext&) override {}  // none: EmbedND computes RoPE in the forward

 private:
  FluxModel(Config const& config, BuildContext const& ctx);
  std::int64_t _head_dim = 0, _mlp_hidden_dim = 0;
};

}  // namespace titan::flux
