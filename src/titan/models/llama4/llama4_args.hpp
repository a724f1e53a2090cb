// Llama4's [model] keys and flavors (host side of the family: no Kokkos).
// Spec 4.2: Llama3-style GQA, MoE with one shared expert on every
// interleave_moe_layer_step-th layer, NoPE layers, llama RoPE scaling.
#pragma once

#include "titan/config/model_args.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace titan {

struct Llama4Args final : ModelArgs {
  std::int64_t dim = 256;
  std::int64_t n_layers = 6;
  std::int64_t n_heads = 16;
  std::optional<std::int64_t> n_kv_heads;  // unset = n_heads
  std::int64_t vocab_size = 2048;
  std::int64_t multiple_of = 256;
  std::optional<double> ffn_dim_multiplier;
  double norm_eps = 1e-5;
  double rope_theta = 500000.0;
  std::string rope_scaling = "llama";
  double rope_scaling_factor = 16.0;
  double rope_low_freq_factor = 1.0;
  double rope_high_freq_factor = 1.0;
  std::int64_t rope_original_max_position_embeddings = 8192;
  std::int64_t max_seq_len = 2048;
  //! Layer i has no RoPE (NoPE) iff i % every_n_layers_nope == 0 (torchtitan's
  //! positions; HF puts them at (i+1) % 4 == 0); 0 = every layer uses RoPE.
  std::int64_t every_n_layers_nope = 4;
  //! Chunked attention on the RoPE layers (torchtitan's fixed_attn_block_size,
  //! FlexAttention's fixed-block mask): position t sees s <= t with
  //! s / size == t / size; NoPE layers stay fully causal. 0 = no chunking
  //! (torchtitan's sdpa backend). Read by the forward pass only.
  std::int64_t fixed_attn_block_size = 256;
  //! Layer i is MoE iff (i + 1) % interleave_moe_layer_step == 0, else dense.
  std::int64_t interleave_moe_layer_step = 2;
  std::int64_t num_experts = 8;
  std::int64_t top_k = 1;
  std::int64_t num_shared_experts = 1;  // 0 = none
  std::string score_func = "sigmoid";
  bool route_norm = false;
  double route_scale = 1.0;
  std::optional<double> load_balance_coeff = 1e-3;  // set: the expert_bias buffer exists

  std::unique_ptr<ModelArgs> clone() const override { return std::make_unique<Llama4Args>(*this); }
  void declare(KeyTable& keys) override;
  void validate(KeyPosition const& where) const override;
  std::vector<std::pair<std::string, std::string>> derived() const override;
  std::int64_t num_layers() const override { return n_layers; }

  std::int64_t head_dim() const { return dim / n_heads; }
  std::int64_t kv_heads() const { return n_kv_heads.value_or(n_heads); }
  std::int64_t ffn_hidden_dim() const;  // dense layers (Llama's rule)
  std::int64_t moe_hidden_dim() const;  // Fm (compute_moe_hidden_dim, rounding last)
  bool is_moe_layer(std::int64_t i) const { return (i + 1) % interleave_moe_layer_step == 0; }
  bool is_nope_layer(std::int64_t i) const { return every_n_layers_nope > 0 && i % every_n_layers_nope == 0; }
  std::int64_t num_moe_layers() const { return n_layers / interleave_moe_layer_step; }
};

//! debugmodel 17bx16e 17bx128e (17bx128e: dense and MoE layers alternating).
std::vector<std::string> llama4_flavors();
Llama4Args llama4_flavor(std::string const& flavor);

DeckFamily llama4_deck_family();

}  // namespace titan
