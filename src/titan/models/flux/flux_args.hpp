// Flux's [model] keys and flavors (host side of the family: no Kokkos).
// model_families.md section 4.6: torchtitan's flux-debug, flux-dev and
// flux-schnell transformers (no guidance embedder, no autoencoder or text
// encoders: those are separate models).
#pragma once

#include "titan/config/model_args.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

struct FluxArgs final : ModelArgs {
  // Defaults = flux-debug.
  std::int64_t hidden_size = 1536;
  std::int64_t num_heads = 12;
  double mlp_ratio = 4.0;
  std::int64_t depth = 2;                // double-stream blocks
  std::int64_t depth_single_blocks = 2;  // single-stream blocks
  std::int64_t in_channels = 64;
  std::int64_t out_channels = 64;
  std::int64_t vec_in_dim = 768;         // CLIP pooled vector
  std::int64_t context_in_dim = 4096;    // T5 token features
  std::vector<std::int64_t> axes_dim = {16, 56, 56};  // EmbedND's per-axis RoPE widths
  double theta = 10000.0;
  bool qkv_bias = true;
  std::int64_t patch_size = 1;
  double norm_eps = 1e-6;     // the parameter-free LayerNorms
  double qk_norm_eps = 1e-5;  // QK RMSNorm (torchtitan's default; BFL's reference uses 1e-6)

  std::unique_ptr<ModelArgs> clone() const override { return std::make_unique<FluxArgs>(*this); }
  void declare(KeyTable& keys) override;
  //! num_heads divides hidden_size, sum(axes_dim) == head_dim, every axes_dim
  //! entry even, mlp width >= 1, and the limits of models/common/model_limits.hpp.
  void validate(KeyPosition const& where) const override;
  std::vector<std::pair<std::string, std::string>> derived() const override;
  std::int64_t num_layers() const override { return depth + depth_single_blocks; }

  std::int64_t head_dim() const { return hidden_size / num_heads; }
  //! torchtitan's int(hidden_size * mlp_ratio): float product, truncated.
  std::int64_t mlp_hidden_dim() const;
};

//! Width of the sinusoidal timestep embedding that time_in reads (fixed in Flux).
constexpr std::int64_t flux_time_embedding_dim = 256;

//! The flavors, in the spec's order: flux-debug flux-dev flux-schnell.
std::vector<std::string> flux_flavors();
//! The preset of a flavor; throws InputError listing the flavors if unknown.
FluxArgs flux_flavor(std::string const& flavor);

//! The deck's view of the family (models/registry.cpp lists it).
DeckFamily flux_deck_family();

}  // namespace titan
