#include "titan/models/gpt_oss/gpt_oss_family.hpp"

#include "titan/models/gpt_oss/gpt_oss_hf.hpp"
#include "titan/core/errors.hpp"
#include "titan/models/common/init_rules.hpp"
#include "titan/models/common/moe_rules.hpp"
#include "titan/models/common/placements.hpp"

#include <cmath>

namespace titan {

namespace {

// A Linear with a bias: weight `init` with `tp_weight` over tp, bias zeros
// with `tp_bias` over tp; FSDP Shard(0) over dp_shard for both.
void set_biased_linear(Linear::Config& c, InitSpec init, Placement tp_weight, Placement tp_bias) {
  c.bias = true;
  c.param_init["weight"] = init;
  c.param_init["bias"] = InitSpec::zeros();
  c.sharding["weight"] = fsdp_with_tp(tp_weight);
  c.sharding["bias"] = fsdp_with_tp(tp_bias);
}

}  // namespace

Decoder::Config gpt_oss_config(GptOssArgs const& a, Mesh const& mesh) {
  Placement const colwise = Placement::shard(0), rowwise = Placement::shard(1), rep = Placement::replicate();
  RMSNorm::Config norm;
  norm.eps = a.norm_eps;
  norm.param_init["weight"] = InitSpec::ones();
  norm.sharding["weight"] = fsdp_with_tp(rep);

  // Routed experts (spec 5.3, 5.4): mlp1 weight/bias split their 2 Fm dim
  // over tp (dim 1), mlp2_weight its Fm dim (dim 2), mlp2_bias replicated
  // over tp; ep and FSDP as for every family's experts (placements.hpp).
  Placements mlp2_bias = expert_placements(mesh, a.num_experts, 1);
  mlp2_bias[tp] = rep;

  Decoder::Config c;
  c.vocab_size = a.vocab_size;
  c.dim = a.dim;
  c.tie_embeddings = false;
  c.tok_embeddings.param_init["weight"] = InitSpec::normal(0.0, 0.02);
  c.tok_embeddings.sharding["weight"] = fsdp_with_tp(colwise);

  for (std::int64_t i = 0; i < a.n_layers; ++i) {
    InitSpec const depth = InitSpec::trunc_normal(0.0, depth_scaled_std(0.02, i), -2.0, 2.0);
    Attention::Config attention;
    attention.n_heads = a.n_heads;
    attention.n_kv_heads = a.n_kv_heads;
    attention.head_dim = a.head_dim;
    // torchtitan's fused wqkv is drawn as one TN(sigma_i) tensor; titan_app
    // keeps the classic wq/wk/wv, each drawn from its own FQN with the same
    // TN(sigma_i) (docs/families/gpt_oss.md).
    set_biased_linear(attention.wq, depth, colwise, colwise);
    set_biased_linear(attention.wk, depth, colwise, colwise);
    set_biased_linear(attention.wv, depth, colwise, colwise);
    set_biased_linear(attention.wo, depth, rowwise, rep);
    attention.sinks = true;
    attention.param_init["sinks"] = depth;
    attention.sharding["sinks"] = fsdp_with_tp(colwise);  // heads
    attention.sliding_window = a.is_sliding_layer(i) ? a.sliding_window : 0;
    // torchtitan keeps the rope a pure rotation and folds YaRN's mscale^2
    // into the softmax scale (Attention.__init__).
    attention.softmax_scale = a.softmax_scale();

    MoE::Config moe;
    moe.num_experts = a.num_experts;
    moe.hidden_dim = a.moe_hidden_dim;
    moe.load_balance_coeff = a.load_balance_coeff;
    GptOssExperts::Config experts;
    experts.swiglu_limit = a.swiglu_limit;
    experts.swiglu_alpha = a.swiglu_alpha;
    experts.param_init = {{"mlp1_weight", depth}, {"mlp1_bias", depth}, {"mlp2_weight", depth}, {"mlp2_bias", depth}};
    experts.sharding = {{"mlp1_weight", expert_placements(mesh, a.num_experts, 1)},
                        {"mlp1_bias", expert_placements(mesh, a.num_experts, 1)},
                        {"mlp2_weight", expert_placements(mesh, a.num_experts, 2)},
                        {"mlp2_bias", mlp2_bias}};
    moe.experts = std::make_shared<GptOssExperts::Config const>(std::move(experts));
    set_biased_linear(moe.router.gate, depth, rep, rep);
    moe.router.top_k = a.top_k;
    moe.router.score_func = a.score_func;
    moe.router.route_norm = a.route_norm;
    moe.router.route_scale = a.route_scale;

    TransformerBlock::Config b;  // torchtitan's registration order
    b.add("attention", std::move(attention));
    b.add("attention_norm", norm);
    b.add("ffn_norm", norm);
    b.add("moe", std::move(moe));
    c.layers.push_back(std::move(b));
  }
  c.norm = norm;
  double const s = 1.0 / std::sqrt(static_cast<double>(a.dim));
  c.output.param_init["weight"] = InitSpec::trunc_normal(0.0, s, -3 * s, 3 * s);
  c.output.sharding["weight"] = fsdp_with_tp(colwise);

  // The model's one RoPE table: rotary width head_dim, theta, YaRN scaling
  // (spec 3.4; gpt-oss does not truncate the correction range).
  c.rope.dim = a.head_dim;
  c.rope.max_seq_len = a.max_seq_len;
  c.rope.theta = a.rope_theta;
  c.rope.scaling = "yarn";
  c.rope.rope_factor = a.rope_factor;
  c.rope.beta_fast = a.rope_beta_fast;
  c.rope.beta_slow = a.rope_beta_slow;
  c.rope.original_seq_len = a.rope_original_seq_len;
  c.rope.truncate = a.rope_truncate;
  c.rope.rotate_half = true;  // CosSinRoPE: pairs (x[j], x[j + hd/2])
  return c;
}

std::int64_t gpt_oss_activated_params(GptOssArgs const& a, std::int64_t total) {
  return total - a.n_layers * (a.num_experts - a.top_k) * a.params_per_expert();
}

namespace {

std::unique_ptr<ModelConfig> model_config(ModelArgs const& args, Mesh const& mesh) {
  auto const& a = dynamic_cast<GptOssArgs const&>(args);
  int const t = mesh.size(tp);
  require(a.n_heads % t == 0 && a.n_kv_heads % t == 0,
          "[mesh] tp = " + std::to_string(t) + " must divide n_heads = " + std::to_string(a.n_heads) +
              " and n_kv_heads = " + std::to_string(a.n_kv_heads) + " (tensor parallelism splits whole heads)");
  // mlp1's rows are (gate, up) pairs: torch.chunk over tp must cut between pairs.
  std::int64_t const rows = 2 * a.moe_hidden_dim, chunk = (rows + t - 1) / t;
  require(chunk % 2 == 0, "[mesh] tp = " + std::to_string(t) + " splits mlp1's 2 * moe_hidden_dim = " +
                              std::to_string(rows) + " rows into chunks of " + std::to_string(chunk) +
                              ", an odd number: a (gate, up) row pair would be cut");
  check_expert_parallel(mesh.size(ep), true, a.num_experts, "gpt_oss");
  return std::make_unique<Decoder::Config>(gpt_oss_config(a, mesh));
}

std::int64_t activated_params(ModelArgs const& args, std::int64_t total) {
  return gpt_oss_activated_params(dynamic_cast<GptOssArgs const&>(args), total);
}

}  // namespace

Family gpt_oss_family() {
  Family f{gpt_oss_deck_family(), model_config, activated_params, true};
  f.hf_adapter = gpt_oss_hf_adapter;  // checkpoint/hf_adapter.hpp
  return f;
}

}  // namespace titan
