// Qwen3's [model] keys and flavors, dense and MoE (host side of the family:
// no Kokkos). Spec 4.3.
#pragma once

#include "titan/config/model_args.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace titan {

struct Qwen3Args final : ModelArgs {
  std::int64_t dim = 256;
  std::int64_t n_layers = 8;
  std::int64_t n_heads = 16;
  std::optional<std::int64_t> n_kv_heads = 8;  // unset = n_heads
  std::int64_t head_dim = 128;                 // explicit: n_heads * head_dim may differ from dim
  std::int64_t vocab_size = 2048;
  std::int64_t hidden_dim = 3072;              // dense feed-forward width F
  double norm_eps = 1e-6;                      // every RMSNorm, q_norm and k_norm included
  bool qk_norm = true;
  double rope_theta = 1000000.0;               // RoPE without scaling, rotary width head_dim
  std::int64_t max_seq_len = 2048;
  bool tie_embeddings = true;
  // MoE (every layer when moe_enabled; no shared experts)
  bool moe_enabled = false;
  std::int64_t num_experts = 64;
  std::int64_t top_k = 8;
  std::int64_t moe_hidden_dim = 768;           // Fm, per expert
  std::string score_func = "softmax";
  bool route_norm = true;
  double route_scale = 1.0;
  std::optional<double> load_balance_coeff = 1e-3;  // set: the expert_bias buffer exists

  std::unique_ptr<ModelArgs> clone() const override { return std::make_unique<Qwen3Args>(*this); }
  void declare(KeyTable& keys) override;
  //! n_kv_heads divides n_heads, head_dim even, top_k <= num_experts, and the
  //! limits of models/common/model_limits.hpp.
  void validate(KeyPosition const& where) const override;
  std::vector<std::pair<std::string, std::string>> derived() const override;
  std::int64_t num_layers() const override { return n_layers; }

  std::int64_t kv_heads() const { return n_kv_heads.value_or(n_heads); }
};

//! debugmodel 0.6B 1.7B 4B 8B 14B 32B debugmodel_moe 30B-A3B 235B-A22B
//! debugmodel_non_fused_qkv (titan_app's names are always the non-fused ones,
//! so it equals debugmodel).
std::vector<std::string> qwen3_flavors();
//! The preset of a flavor; throws InputError listing the flavors if unknown.
Qwen3Args qwen3_flavor(std::string const& flavor);

DeckFamily qwen3_deck_family();

}  // namespace titan
