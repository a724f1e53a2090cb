#include "titan/models/gpt_oss/gpt_oss_args.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/common/model_limits.hpp"
#include "titan/models/common/moe_rules.hpp"

#include <cmath>
#include <cstdio>

namespace titan {

std::vector<std::string> gpt_oss_flavors() { return {"debugmodel", "20b", "120b"}; }

GptOssArgs gpt_oss_flavor(std::string const& flavor) {
  GptOssArgs a;  // defaults = debugmodel: D 256, L 4, V 2048, Fm 2880, E 8, K 4
  if (flavor == "debugmodel") return a;
  if (flavor == "20b" || flavor == "120b") {
    a.dim = 2880;
    a.vocab_size = 201088;
    a.moe_hidden_dim = 2880;
    a.max_seq_len = 8192;
    a.n_layers = flavor == "20b" ? 24 : 36;
    a.num_experts = flavor == "20b" ? 32 : 128;
    return a;
  }
  std::string list;
  for (auto const& f : gpt_oss_flavors()) list += (list.empty() ? "" : ", ") + f;
  throw InputError("[model] unknown gpt_oss flavor '" + flavor + "' (valid: " + list + ")");
}

void GptOssArgs::declare(KeyTable& k) {
  k.integer("dim", dim);
  k.integer("n_layers", n_layers);
  k.integer("n_heads", n_heads);
  k.integer("n_kv_heads", n_kv_heads);
  k.integer("head_dim", head_dim);
  k.integer("vocab_size", vocab_size);
  k.integer("moe_hidden_dim", moe_hidden_dim);
  k.integer("num_experts", num_experts);
  k.integer("top_k", top_k);
  k.number("norm_eps", norm_eps);
  k.number("rope_theta", rope_theta, 1.0);
  k.number("rope_factor", rope_factor);
  k.number("rope_beta_fast", rope_beta_fast);
  k.number("rope_beta_slow", rope_beta_slow);
  k.integer("rope_original_seq_len", rope_original_seq_len);
  k.boolean("rope_truncate", rope_truncate);
  k.integer("max_seq_len", max_seq_len);
  k.integer("sliding_window", sliding_window, 0);
  k.number("swiglu_limit", swiglu_limit);
  k.number("swiglu_alpha", swiglu_alpha);
  k.choice("score_func", score_func, {"softmax", "sigmoid"});
  k.boolean("route_norm", route_norm);
  k.number("route_scale", route_scale);
  k.optional_number("load_balance_coeff", load_balance_coeff);
}

double GptOssArgs::softmax_scale() const {
  double const mscale = rope_factor > 1 ? 0.1 * std::log(rope_factor) + 1.0 : 1.0;
  return mscale * mscale / std::sqrt(static_cast<double>(head_dim));
}

namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

}  // namespace

void GptOssArgs::validate(KeyPosition const& where) const {
  require(n_heads % n_kv_heads == 0, where("n_kv_heads") + " n_kv_heads = " + std::to_string(n_kv_heads) +
                                         " does not divide n_heads = " + std::to_string(n_heads));
  require(head_dim % 2 == 0, where("head_dim") + " head_dim = " + std::to_string(head_dim) + " must be even for RoPE");
  check_top_k(top_k, num_experts, where("top_k"));
  require(rope_beta_slow < rope_beta_fast, where("rope_beta_slow") + " rope_beta_slow = " + number(rope_beta_slow) +
                                               " must be less than rope_beta_fast = " + number(rope_beta_fast));
  require(n_layers <= max_layers, where("n_layers") + " n_layers = " + std::to_string(n_layers) + " is more than " +
                                      std::to_string(max_layers) + " layers");
  // Size limits in floating point (absurd inputs cannot overflow here).
  double const D = static_cast<double>(dim), hd = static_cast<double>(head_dim);
  double const hq = static_cast<double>(n_heads), hkv = static_cast<double>(n_kv_heads);
  double const fm = static_cast<double>(moe_hidden_dim), e = static_cast<double>(num_experts);
  double const attn = (D + 1) * (hq + 2 * hkv) * hd + hq * hd * D + D + hq;
  double const moe = e * (3 * D * fm + 2 * fm + D) + e * (D + 1);
  double const params = static_cast<double>(n_layers) * (attn + moe + 2 * D) + 2 * static_cast<double>(vocab_size) * D + D;
  require(params <= max_model_params, where("") + " the model would have " + number(params) +
                                          " parameters, more than 2^50 (" + number(max_model_params) + ")");
  require(static_cast<double>(max_seq_len) * hd <= max_model_params,
          where("max_seq_len") + " max_seq_len * head_dim (the RoPE table) is more than 2^50");
}

std::vector<std::pair<std::string, std::string>> GptOssArgs::derived() const {
  return {{"mlp1_rows", std::to_string(2 * moe_hidden_dim)},
          {"qkv_rows", std::to_string((n_heads + 2 * n_kv_heads) * head_dim)},
          {"softmax_scale", number(softmax_scale())},
          {"sliding_layers", sliding_window > 0 ? "even (i % 2 == 0)" : "none"}};
}

DeckFamily gpt_oss_deck_family() {
  return {"gpt_oss", gpt_oss_flavors(), [](std::string const& flavor) -> std::unique_ptr<ModelArgs> {
            return std::make_unique<GptOssArgs>(gpt_oss_flavor(flavor));
          }};
}

}  // namespace titan
