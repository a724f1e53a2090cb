#include "titan/models/llama4/llama4_args.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/common/model_limits.hpp"
#include "titan/models/common/moe_rules.hpp"
#include "titan/modules/ffn_hidden_dim.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace titan {

std::vector<std::string> llama4_flavors() { return {"debugmodel", "17bx16e", "17bx128e"}; }

Llama4Args llama4_flavor(std::string const& flavor) {
  Llama4Args a;  // defaults = debugmodel
  if (flavor == "debugmodel") return a;
  if (flavor == "17bx16e" || flavor == "17bx128e") {
    a.dim = 5120;
    a.n_layers = 48;
    a.n_heads = 40;
    a.n_kv_heads = 8;
    a.vocab_size = 202048;
    a.multiple_of = 2048;
    a.ffn_dim_multiplier = 1.2;
    a.max_seq_len = 8192;
    a.fixed_attn_block_size = 8192;
    if (flavor == "17bx16e") {
      a.num_experts = 16;
      a.interleave_moe_layer_step = 1;  // every layer MoE
    } else {
      a.num_experts = 128;
      a.interleave_moe_layer_step = 2;  // the Maverick layout: dense and MoE alternating
      a.rope_scaling = "none";
    }
    return a;
  }
  std::string list;
  for (auto const& f : llama4_flavors()) list += (list.empty() ? "" : ", ") + f;
  throw InputError("[model] unknown llama4 flavor '" + flavor + "' (valid: " + list + ")");
}

void Llama4Args::declare(KeyTable& k) {
  k.integer("dim", dim);
  k.integer("n_layers", n_layers);
  k.integer("n_heads", n_heads);
  k.optional_integer("n_kv_heads", n_kv_heads);
  k.integer("vocab_size", vocab_size);
  k.integer("multiple_of", multiple_of);
  k.optional_number("ffn_dim_multiplier", ffn_dim_multiplier);
  k.number("norm_eps", norm_eps);
  k.number("rope_theta", rope_theta, 1.0);
  k.choice("rope_scaling", rope_scaling, {"llama", "none"});
  k.number("rope_scaling_factor", rope_scaling_factor);
  k.number("rope_low_freq_factor", rope_low_freq_factor);
  k.number("rope_high_freq_factor", rope_high_freq_factor);
  k.integer("rope_original_max_position_embeddings", rope_original_max_position_embeddings);
  k.integer("max_seq_len", max_seq_len);
  k.integer("every_n_layers_nope", every_n_layers_nope, 0);
  k.integer("fixed_attn_block_size", fixed_attn_block_size, 0);
  k.integer("interleave_moe_layer_step", interleave_moe_layer_step);
  k.integer("num_experts", num_experts);
  k.integer("top_k", top_k);
  k.integer("num_shared_experts", num_shared_experts, 0);
  k.choice("score_func", score_func, {"softmax", "sigmoid"});
  k.boolean("route_norm", route_norm);
  k.number("route_scale", route_scale);
  k.optional_number("load_balance_coeff", load_balance_coeff);
}

std::int64_t Llama4Args::ffn_hidden_dim() const { return llama_ffn_hidden_dim(dim, multiple_of, ffn_dim_multiplier); }

std::int64_t Llama4Args::moe_hidden_dim() const {
  return titan::moe_hidden_dim(dim, multiple_of, ffn_dim_multiplier, top_k, num_shared_experts);
}

namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

}  // namespace

void Llama4Args::validate(KeyPosition const& where) const {
  require(dim % n_heads == 0,
          where("n_heads") + " n_heads = " + std::to_string(n_heads) + " does not divide dim = " + std::to_string(dim));
  require(n_heads % kv_heads() == 0, where("n_kv_heads") + " n_kv_heads = " + std::to_string(kv_heads()) +
                                         " does not divide n_heads = " + std::to_string(n_heads));
  require(head_dim() % 2 == 0,
          where("n_heads") + " head_dim = dim / n_heads = " + std::to_string(head_dim()) + " must be even for RoPE");
  check_top_k(top_k, num_experts, where("top_k"));
  require(n_layers <= max_layers, where("n_layers") + " n_layers = " + std::to_string(n_layers) + " is more than " +
                                      std::to_string(max_layers) + " layers");
  // Size limits in floating point (absurd inputs cannot overflow here).
  double const D = static_cast<double>(dim), hd = static_cast<double>(head_dim());
  double const mo = static_cast<double>(multiple_of), mult = ffn_dim_multiplier.value_or(1.0);
  double const dense_f = mo * std::ceil(std::floor(mult * std::floor(8 * D / 3)) / mo);
  double const fm = std::floor(std::floor(mult * std::floor(8 * D / 3)) / static_cast<double>(top_k + num_shared_experts)) + mo;
  require(dense_f >= 1, where("") + " the feed-forward width is 0 (dim = " + std::to_string(dim) +
                            ", ffn_dim_multiplier = " + number(mult) + "); raise ffn_dim_multiplier");
  double const attn = 2 * D * static_cast<double>(n_heads) * hd + 2 * D * static_cast<double>(kv_heads()) * hd;
  double const moe = (static_cast<double>(num_experts) + static_cast<double>(num_shared_experts)) * 3 * D * fm +
                     static_cast<double>(num_experts) * D;
  double const params = static_cast<double>(n_layers) * (attn + std::max(moe, 3 * D * dense_f) + 2 * D) +
                        2 * static_cast<double>(vocab_size) * D + D;
  require(params <= max_model_params, where("") + " the model would have " + number(params) +
                                          " parameters, more than 2^50 (" + number(max_model_params) + ")");
  require(static_cast<double>(max_seq_len) * hd <= max_model_params,
          where("max_seq_len") + " max_seq_len * head_dim (the RoPE table) is more than 2^50");
  require(moe_hidden_dim() > 0, where("") + " the expert width is 0; raise ffn_dim_multiplier");
}

std::vector<std::pair<std::string, std::string>> Llama4Args::derived() const {
  return {{"head_dim", std::to_string(head_dim())},
          {"n_kv_heads", std::to_string(kv_heads())},
          {"ffn_hidden_dim", std::to_string(ffn_hidden_dim())},
          {"moe_hidden_dim", std::to_string(moe_hidden_dim())},
          {"moe_layers", std::to_string(num_moe_layers())}};
}

DeckFamily llama4_deck_family() {
  return {"llama4", llama4_flavors(), [](std::string const& flavor) -> std::unique_ptr<ModelArgs> {
            return std::make_unique<Llama4Args>(llama4_flavor(flavor));
          }};
}

}  // namespace titan
