// Llama3's [model] keys and flavors (host side of the family: no Kokkos).
#pragma once

#include "titan/config/model_args.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace titan {

struct Llama3Args final : ModelArgs {
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

  std::unique_ptr<ModelArgs> clone() const override { return std::make_unique<Llama3Args>(*this); }
  void declare(KeyTable& keys) override;
  //! n_heads divides dim, n_kv_heads divides n_heads, head_dim even, and the
  //! limits of models/common/model_limits.hpp.
  void validate(KeyPosition const& where) const override;
  std::vector<std::pair<std::string, std::string>> derived() const override;
  std::int64_t num_layers() const override { return n_layers; }

  std::int64_t head_dim() const { return dim / n_heads; }
  std::int64_t kv_heads() const { return n_kv_heads.value_or(n_heads); }
  std::int64_t ffn_hidden_dim() const;
};

//! The flavors, in the spec's order: debugmodel 1B 3B 8B 70B 405B.
std::vector<std::string> llama3_flavors();
//! The preset of a flavor; throws InputError listing the flavors if unknown.
Llama3Args llama3_flavor(std::string const& flavor);

//! The deck's view of the family (models/registry.cpp lists it).
DeckFamily llama3_deck_family();

}  // namespace titan
