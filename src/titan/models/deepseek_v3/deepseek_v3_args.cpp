#include "titan/models/deepseek_v3/deepseek_v3_args.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/common/model_limits.hpp"
#include "titan/models/common/moe_rules.hpp"

#include <cmath>
#include <cstdio>

namespace titan {

std::vector<std::string> deepseek_v3_flavors() { return {"debugmodel", "16B", "236B", "671B"}; }

DeepSeekV3Args deepseek_v3_flavor(std::string const& flavor) {
  DeepSeekV3Args a;  // defaults = debugmodel
  if (flavor == "debugmodel") return a;
  a.max_seq_len = 8192;
  if (flavor == "16B") {  // DeepSeek-V2-Lite shapes
    a.dim = 2048;
    a.n_layers = 27;
    a.vocab_size = 102400;
    a.n_heads = 16;
    a.hidden_dim = 10944;
    a.moe_hidden_dim = 1408;
    a.num_experts = 64;
    a.num_shared_experts = 2;
    a.top_k = 6;
    return a;
  }
  if (flavor == "236B") {  // DeepSeek-V2 shapes
    a.dim = 5120;
    a.n_layers = 60;
    a.vocab_size = 102400;
    a.n_heads = 128;
    a.q_lora_rank = 1536;
    a.hidden_dim = 12288;
    a.moe_hidden_dim = 1536;
    a.num_experts = 160;
    a.num_shared_experts = 2;
    a.top_k = 6;
    a.n_expert_groups = 8;
    a.n_limited_groups = 3;
    a.route_scale = 16.0;
    a.mscale = 1.0;
    return a;
  }
  if (flavor == "671B") {
    a.dim = 7168;
    a.n_layers = 61;
    a.vocab_size = 129280;
    a.n_heads = 128;
    a.q_lora_rank = 1536;
    a.hidden_dim = 18432;
    a.n_dense_layers = 3;
    a.moe_hidden_dim = 2048;
    a.num_experts = 256;
    a.num_shared_experts = 1;
    a.top_k = 8;
    a.score_func = "sigmoid";
    a.n_expert_groups = 8;
    a.n_limited_groups = 4;
    a.route_scale = 2.5;
    a.route_norm = true;
    a.mscale = 1.0;
    return a;
  }
  std::string list;
  for (auto const& f : deepseek_v3_flavors()) list += (list.empty() ? "" : ", ") + f;
  throw InputError("[model] unknown deepseek_v3 flavor '" + flavor + "' (valid: " + list + ")");
}

void DeepSeekV3Args::declare(KeyTable& k) {
  k.integer("dim", dim);
  k.integer("n_layers", n_layers);
  k.integer("n_heads", n_heads);
  k.integer("vocab_size", vocab_size);
  k.integer("q_lora_rank", q_lora_rank, 0);
  k.integer("kv_lora_rank", kv_lora_rank);
  k.integer("qk_nope_head_dim", qk_nope_head_dim);
  k.integer("qk_rope_head_dim", qk_rope_head_dim);
  k.integer("v_head_dim", v_head_dim);
  k.number("mscale", mscale);
  k.integer("hidden_dim", hidden_dim);
  k.integer("n_dense_layers", n_dense_layers, 0);
  k.integer("moe_hidden_dim", moe_hidden_dim);
  k.integer("num_experts", num_experts);
  k.integer("num_shared_experts", num_shared_experts, 0);
  k.integer("top_k", top_k);
  k.choice("score_func", score_func, {"softmax", "sigmoid"});
  k.boolean("route_norm", route_norm);
  k.number("route_scale", route_scale);
  k.optional_integer("n_expert_groups", n_expert_groups);
  k.optional_integer("n_limited_groups", n_limited_groups);
  k.optional_number("load_balance_coeff", load_balance_coeff);
  k.number("norm_eps", norm_eps);
  k.number("rope_theta", rope_theta, 1.0);
  k.choice("rope_scaling", rope_scaling, {"yarn", "none"});
  k.number("rope_factor", rope_factor);
  k.number("rope_beta_fast", rope_beta_fast);
  k.number("rope_beta_slow", rope_beta_slow);
  k.integer("rope_original_seq_len", rope_original_seq_len);
  k.boolean("rope_truncate", rope_truncate);
  k.integer("max_seq_len", max_seq_len);
}

namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

std::string str(std::int64_t v) { return std::to_string(v); }

}  // namespace

void DeepSeekV3Args::validate(KeyPosition const& where) const {
  require(qk_rope_head_dim % 2 == 0,
          where("qk_rope_head_dim") + " qk_rope_head_dim = " + str(qk_rope_head_dim) + " must be even for RoPE");
  require(n_dense_layers <= n_layers, where("n_dense_layers") + " n_dense_layers = " + str(n_dense_layers) +
                                          " is more than n_layers = " + str(n_layers));
  require(n_layers <= max_layers,
          where("n_layers") + " n_layers = " + str(n_layers) + " is more than " + str(max_layers) + " layers");
  if (num_moe_layers() > 0) check_top_k(top_k, num_experts, where("top_k"));
  require(n_expert_groups.has_value() == n_limited_groups.has_value(),
          where(n_expert_groups ? "n_expert_groups" : "n_limited_groups") +
              " n_expert_groups and n_limited_groups come together (node-limited routing needs both)");
  if (n_expert_groups) {
    std::int64_t const g = *n_expert_groups, l = *n_limited_groups;
    require(num_experts % g == 0, where("n_expert_groups") + " n_expert_groups = " + str(g) +
                                      " does not divide num_experts = " + str(num_experts) +
                                      " (every group holds the same number of experts)");
    require(l <= g, where("n_limited_groups") + " n_limited_groups = " + str(l) + " is more than n_expert_groups = " +
                        str(g));
    require(top_k <= l * (num_experts / g),
            where("top_k") + " top_k = " + str(top_k) + " is more than the " + str(l * (num_experts / g)) +
                " experts of the n_limited_groups = " + str(l) + " groups a token may use");
  }
  require(rope_scaling != "yarn" || rope_factor >= 1.0,
          where("rope_factor") + " rope_factor = " + number(rope_factor) + " must be >= 1 (1 = no YaRN scaling)");
  require(rope_scaling != "yarn" || rope_beta_slow < rope_beta_fast,
          where("rope_beta_fast") + " rope_beta_fast = " + number(rope_beta_fast) +
              " must be more than rope_beta_slow = " + number(rope_beta_slow));
  // Size limits in floating point (absurd inputs cannot overflow here).
  double const D = static_cast<double>(dim), H = static_cast<double>(n_heads);
  double const q = static_cast<double>(q_lora_rank), kv = static_cast<double>(kv_lora_rank);
  double const qk = static_cast<double>(qk_nope_head_dim) + static_cast<double>(qk_rope_head_dim);
  double const attn = (q_lora_rank == 0 ? D * H * qk : D * q + q + q * H * qk) +
                      D * (kv + static_cast<double>(qk_rope_head_dim)) + kv +
                      kv * H * (static_cast<double>(qk_nope_head_dim) + static_cast<double>(v_head_dim)) +
                      H * static_cast<double>(v_head_dim) * D;
  double const fm = static_cast<double>(moe_hidden_dim), E = static_cast<double>(num_experts);
  double const moe = (E + static_cast<double>(num_shared_experts)) * 3 * D * fm + E * D;
  double const dense = 3 * D * static_cast<double>(hidden_dim);
  double const params = static_cast<double>(n_layers) * (attn + 2 * D) + static_cast<double>(n_dense_layers) * dense +
                        static_cast<double>(num_moe_layers()) * moe + 2 * static_cast<double>(vocab_size) * D + D;
  require(params <= max_model_params, where("") + " the model would have " + number(params) +
                                          " parameters, more than 2^50 (" + number(max_model_params) + ")");
  require(static_cast<double>(max_seq_len) * static_cast<double>(qk_rope_head_dim) <= max_model_params,
          where("max_seq_len") + " max_seq_len * qk_rope_head_dim (the RoPE table) is more than 2^50");
}

std::vector<std::pair<std::string, std::string>> DeepSeekV3Args::derived() const {
  double scale = 1.0 / std::sqrt(static_cast<double>(qk_head_dim()));
  if (rope_scaling == "yarn" && rope_factor > 1.0) {
    double const m = 0.1 * mscale * std::log(rope_factor) + 1.0;
    scale *= m * m;
  }
  return {{"qk_head_dim", str(qk_head_dim())},
          {"softmax_scale", number(scale)},
          {"shared_experts_hidden_dim", str(num_shared_experts * moe_hidden_dim)},
          {"moe_layers", str(num_moe_layers())}};
}

DeckFamily deepseek_v3_deck_family() {
  return {"deepseek_v3", deepseek_v3_flavors(), [](std::string const& flavor) -> std::unique_ptr<ModelArgs> {
            return std::make_unique<DeepSeekV3Args>(deepseek_v3_flavor(flavor));
          }};
}

}  // namespace titan
