// GPT-OSS's [model] keys and flavors (host side of the family: no Kokkos).
// Spec 4.5: every layer = attention with sinks (biased q/k/v/o, sliding
// window on even layers) + MoE (softmax top-4 router with a biased gate,
// experts with biased mlp1/mlp2), YaRN RoPE, untied embeddings.
#pragma once

#include "titan/config/model_args.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace titan {

struct GptOssArgs final : ModelArgs {
  std::int64_t dim = 256;
  std::int64_t n_layers = 4;
  std::int64_t n_heads = 64;
  std::int64_t n_kv_heads = 8;
  std::int64_t head_dim = 64;          // explicit: n_heads * head_dim (4096) differs from dim
  std::int64_t vocab_size = 2048;
  std::int64_t moe_hidden_dim = 2880;  // Fm, per expert; mlp1 has 2 Fm rows (gate/up interleaved)
  std::int64_t num_experts = 8;
  std::int64_t top_k = 4;
  double norm_eps = 1e-5;
  double rope_theta = 150000.0;
  // YaRN (torchtitan's CosSinRoPE scaling "yarn"); stored, see docs/families/gpt_oss.md
  double rope_factor = 32.0;
  double rope_beta_fast = 32.0;
  double rope_beta_slow = 1.0;
  std::int64_t rope_original_seq_len = 4096;
  bool rope_truncate = false;
  std::int64_t max_seq_len = 2048;
  //! Layers i with i % 2 == 0 attend over a window of this many positions
  //! (torchtitan's varlen window (sliding_window - 1, 0)); 0 = full causal everywhere.
  std::int64_t sliding_window = 128;
  double swiglu_limit = 7.0;
  double swiglu_alpha = 1.702;
  std::string score_func = "softmax";
  bool route_norm = true;
  double route_scale = 1.0;
  std::optional<double> load_balance_coeff = 1e-3;  // set: the expert_bias buffer exists

  std::unique_ptr<ModelArgs> clone() const override { return std::make_unique<GptOssArgs>(*this); }
  void declare(KeyTable& keys) override;
  //! n_kv_heads divides n_heads, head_dim even, top_k <= num_experts,
  //! rope_beta_slow < rope_beta_fast, and the limits of models/common/model_limits.hpp.
  void validate(KeyPosition const& where) const override;
  std::vector<std::pair<std::string, std::string>> derived() const override;
  std::int64_t num_layers() const override { return n_layers; }

  //! Layer i uses the sliding window (even layers, when sliding_window > 0).
  bool is_sliding_layer(std::int64_t i) const { return sliding_window > 0 && i % 2 == 0; }
  //! Softmax scale: head_dim^-0.5 * mscale^2, mscale = 0.1 ln(rope_factor) + 1 (when rope_factor > 1).
  double softmax_scale() const;
  //! Parameters of one routed expert: mlp1 (2 Fm x D + 2 Fm) and mlp2 (D x Fm + D).
  std::int64_t params_per_expert() const { return 3 * dim * moe_hidden_dim + 2 * moe_hidden_dim + dim; }
};

//! debugmodel 20b 120b.
std::vector<std::string> gpt_oss_flavors();
//! The preset of a flavor; throws InputError listing the flavors if unknown.
GptOssArgs gpt_oss_flavor(std::string const& flavor);

DeckFamily gpt_oss_deck_family();

}  // namespace titan
