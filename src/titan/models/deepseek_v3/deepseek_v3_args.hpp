// DeepSeek-V3's [model] keys and flavors (host side of the family: no
// Kokkos). Spec 4.4: MLA attention, the first n_dense_layers layers with a
// dense SwiGLU feed-forward, the rest MoE with shared experts, YaRN RoPE on
// the qk_rope_head_dim-wide part of q and k. No MTP layers.
#pragma once

#include "titan/config/model_args.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace titan {

struct DeepSeekV3Args final : ModelArgs {
  // Defaults = debugmodel.
  std::int64_t dim = 256;
  std::int64_t n_layers = 6;
  std::int64_t n_heads = 16;
  std::int64_t vocab_size = 2048;
  // MLA
  std::int64_t q_lora_rank = 0;  // 0 = wq directly (no low-rank q)
  std::int64_t kv_lora_rank = 512;
  std::int64_t qk_nope_head_dim = 128;
  std::int64_t qk_rope_head_dim = 64;  // also the RoPE table's rotary width
  std::int64_t v_head_dim = 128;
  double mscale = 0.70;  // YaRN attention scale factor, folded into the softmax scale
  // Feed-forward: layers i < n_dense_layers dense (width hidden_dim), the others MoE.
  std::int64_t hidden_dim = 1024;
  std::int64_t n_dense_layers = 1;
  std::int64_t moe_hidden_dim = 256;  // Fm, per expert
  std::int64_t num_experts = 8;
  std::int64_t num_shared_experts = 2;  // one shared SwiGLU of width num_shared_experts * Fm; 0 = none
  std::int64_t top_k = 3;
  std::string score_func = "softmax";
  bool route_norm = false;
  double route_scale = 1.0;
  //! Node-limited routing: both set or both unset.
  std::optional<std::int64_t> n_expert_groups;
  std::optional<std::int64_t> n_limited_groups;
  std::optional<double> load_balance_coeff = 1e-3;  // set: the expert_bias buffer exists
  double norm_eps = 1e-5;  // torchtitan's preset (the reference DeepSeek uses 1e-6)
  // RoPE (complex pairs) with YaRN scaling.
  double rope_theta = 10000.0;
  std::string rope_scaling = "yarn";
  double rope_factor = 40.0;
  double rope_beta_fast = 32.0;
  double rope_beta_slow = 1.0;
  std::int64_t rope_original_seq_len = 4096;
  bool rope_truncate = true;
  std::int64_t max_seq_len = 2048;

  std::unique_ptr<ModelArgs> clone() const override { return std::make_unique<DeepSeekV3Args>(*this); }
  void declare(KeyTable& keys) override;
  //! top_k <= num_experts, the routing groups, and the limits of
  //! models/common/model_limits.hpp.
  void validate(KeyPosition const& where) const override;
  std::vector<std::pair<std::string, std::string>> derived() const override;
  std::int64_t num_layers() const override { return n_layers; }

  bool is_moe_layer(std::int64_t i) const { return i >= n_dense_layers; }
  std::int64_t num_moe_layers() const { return n_layers > n_dense_layers ? n_layers - n_dense_layers : 0; }
  std::int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
};

//! debugmodel 16B 236B 671B (16B and 236B have DeepSeek-V2-Lite / V2 shapes).
std::vector<std::string> deepseek_v3_flavors();
//! The preset of a flavor; throws InputError listing the flavors if unknown.
DeepSeekV3Args deepseek_v3_flavor(std::string const& flavor);

DeckFamily deepseek_v3_deck_family();

}  // namespace titan
