// The Llama3 family: flavors, hyperparameters, torchtitan's init rules and
// the default placements (FSDP Shard(0) over dp_shard, TP plan over tp).
#pragma once

#include "titan/modules/decoder.hpp"

#include <optional>
#include <string>
#include <vector>

namespace titan {

struct Llama3Args {
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
  double rope_scaling_factor = 8.0;
  double rope_low_freq_factor = 1.0;
  double rope_high_freq_factor = 4.0;
  std::int64_t rope_original_max_position_embeddings = 8192;
  std::int64_t max_seq_len = 2048;
  bool tie_embeddings = false;
};

//! The flavors, in the spec's order: debugmodel 1B 3B 8B 70B 405B.
std::vector<std::string> llama3_flavors();
//! The preset of a flavor; throws InputError listing the flavors if unknown.
Llama3Args llama3_flavor(std::string const& flavor);

//! The whole Decoder config: per-layer init stds (sigma_i = 0.02 / sqrt(2 (i+1))
//! for wo, w2, w3), trunc-normal 0.02 for wq/wk/wv/w1, N(0, 1) embedding
//! (skip when tied), output TN(dim^-0.5, +-3 dim^-0.5), norms ones; and
//! placements: dp_shard Shard(0) everywhere; tp colwise Shard(0) for
//! wq/wk/wv/w1/w3, rowwise Shard(1) for wo/w2, Shard(0) for the embedding and
//! output, Replicate for norms; ep Replicate.
Decoder::Config llama3_config(Llama3Args const& args);

//! The std of layer i's depth-scaled initializers.
double depth_scaled_std(double base, std::int64_t layer);

}  // namespace titan
