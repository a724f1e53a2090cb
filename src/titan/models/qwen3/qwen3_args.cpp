#include "titan/models/qwen3/qwen3_args.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/common/model_limits.hpp"
#include "titan/models/common/moe_rules.hpp"

#include <cmath>
#include <cstdio>

namespace titan {

std::vector<std::string> qwen3_flavors() {
  return {"debugmodel", "0.6B", "1.7B", "4B", "8B", "14B", "32B",
          "debugmodel_moe", "30B-A3B", "235B-A22B", "debugmodel_non_fused_qkv"};
}

Qwen3Args qwen3_flavor(std::string const& flavor) {
  Qwen3Args a;  // defaults = debugmodel
  auto dense = [&](std::int64_t dim, std::int64_t layers, std::int64_t heads, std::int64_t hidden, bool tied) {
    a.dim = dim;
    a.n_layers = layers;
    a.n_heads = heads;
    a.n_kv_heads = 8;
    a.hidden_dim = hidden;
    a.vocab_size = 151936;
    a.tie_embeddings = tied;
    a.max_seq_len = 8192;
  };
  auto moe = [&](std::int64_t dim, std::int64_t layers, std::int64_t heads, std::int64_t kv, std::int64_t fm,
                 std::int64_t experts, double theta) {
    a.dim = dim;
    a.n_layers = layers;
    a.n_heads = heads;
    a.n_kv_heads = kv;
    a.moe_enabled = true;
    a.moe_hidden_dim = fm;
    a.num_experts = experts;
    a.top_k = 8;
    a.vocab_size = 151936;
    a.tie_embeddings = false;
    a.rope_theta = theta;
    a.max_seq_len = 8192;
  };
  if (flavor == "debugmodel" || flavor == "debugmodel_non_fused_qkv") return a;
  if (flavor == "0.6B") dense(1024, 28, 16, 3072, true);
  else if (flavor == "1.7B") dense(2048, 28, 16, 6144, true);
  else if (flavor == "4B") dense(2560, 36, 32, 9728, true);
  else if (flavor == "8B") dense(4096, 36, 32, 12288, false);
  else if (flavor == "14B") dense(5120, 40, 40, 17408, false);
  else if (flavor == "32B") dense(5120, 64, 64, 25600, false);
  else if (flavor == "debugmodel_moe") {
    a.moe_enabled = true;  // D 256, L 8, Hq 16, Hkv 8, Fm 768, E 64, K 8, V 2048
    a.tie_embeddings = false;
  } else if (flavor == "30B-A3B") moe(2048, 48, 32, 4, 768, 128, 1e6);
  else if (flavor == "235B-A22B") moe(4096, 94, 64, 4, 1536, 128, 5e6);
  else {
    std::string list;
    for (auto const& f : qwen3_flavors()) list += (list.empty() ? "" : ", ") + f;
    throw InputError("[model] unknown qwen3 flavor '" + flavor + "' (valid: " + list + ")");
  }
  return a;
}

void Qwen3Args::declare(KeyTable& k) {
  k.integer("dim", dim);
  k.integer("n_layers", n_layers);
  k.integer("n_heads", n_heads);
  k.optional_integer("n_kv_heads", n_kv_heads);
  k.integer("head_dim", head_dim);
  k.integer("vocab_size", vocab_size);
  k.integer("hidden_dim", hidden_dim);
  k.number("norm_eps", norm_eps);
  k.boolean("qk_norm", qk_norm);
  k.number("rope_theta", rope_theta, 1.0);
  k.integer("max_seq_len", max_seq_len);
  k.boolean("tie_embeddings", tie_embeddings);
  k.boolean("moe_enabled", moe_enabled);
  k.integer("num_experts", num_experts);
  k.integer("top_k", top_k);
  k.integer("moe_hidden_dim", moe_hidden_dim);
  k.choice("score_func", score_func, {"softmax", "sigmoid"});
  k.boolean("route_norm", route_norm);
  k.number("route_scale", route_scale);
  k.optional_number("load_balance_coeff", load_balance_coeff);
}

namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

}  // namespace

void Qwen3Args::validate(KeyPosition const& where) const {
  require(n_heads % kv_heads() == 0, where("n_kv_heads") + " n_kv_heads = " + std::to_string(kv_heads()) +
                                         " does not divide n_heads = " + std::to_string(n_heads));
  require(head_dim % 2 == 0, where("head_dim") + " head_dim = " + std::to_string(head_dim) + " must be even for RoPE");
  if (moe_enabled) check_top_k(top_k, num_experts, where("top_k"));
  require(n_layers <= max_layers, where("n_layers") + " n_layers = " + std::to_string(n_layers) + " is more than " +
                                      std::to_string(max_layers) + " layers");
  // Size limits in floating point (absurd inputs cannot overflow here).
  double const D = static_cast<double>(dim), hd = static_cast<double>(head_dim);
  double const attn = 2 * D * static_cast<double>(n_heads) * hd + 2 * D * static_cast<double>(kv_heads()) * hd + 2 * hd;
  double const ffn = moe_enabled ? static_cast<double>(num_experts) * (3 * D * static_cast<double>(moe_hidden_dim) + D)
                                 : 3 * D * static_cast<double>(hidden_dim);
  double const params = static_cast<double>(n_layers) * (attn + ffn + 2 * D) +
                        (tie_embeddings ? 1 : 2) * static_cast<double>(vocab_size) * D + D;
  require(params <= max_model_params, where("") + " the model would have " + number(params) +
                                          " parameters, more than 2^50 (" + number(max_model_params) + ")");
  require(static_cast<double>(max_seq_len) * hd <= max_model_params,
          where("max_seq_len") + " max_seq_len * head_dim (the RoPE table) is more than 2^50");
}

std::vector<std::pair<std::string, std::string>> Qwen3Args::derived() const {
  return {{"n_kv_heads", std::to_string(kv_heads())},
          {"moe_residual_std", moe_enabled ? number(0.02 / std::sqrt(2.0 * static_cast<double>(n_layers))) : "-"}};
}

DeckFamily qwen3_deck_family() {
  return {"qwen3", qwen3_flavors(), [](std::string const& flavor) -> std::unique_ptr<ModelArgs> {
            return std::make_unique<Qwen3Args>(qwen3_flavor(flavor));
          }};
}

}  // namespace titan
