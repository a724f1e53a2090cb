#include "titan/models/deepseek_v3/deepseek_v3_family.hpp"

#include "titan/models/deepseek_v3/deepseek_v3_hf.hpp"
#include "titan/core/errors.hpp"
#include "titan/models/common/init_rules.hpp"
#include "titan/models/common/moe_rules.hpp"
#include "titan/models/common/placements.hpp"

#include <cmath>

namespace titan {

namespace {

void set_linear(Linear::Config& c, InitSpec init, Placement tp_placement) {
  c.param_init["weight"] = init;
  c.sharding["weight"] = fsdp_with_tp(tp_placement);
}

// SwiGLU w1 TN(0.02) colwise, w2 TN(sigma) rowwise, w3 TN(sigma) colwise.
FeedForward::Config swiglu(std::int64_t hidden, InitSpec const& w1, InitSpec const& depth) {
  FeedForward::Config f;
  f.hidden_dim = hidden;
  set_linear(f.w1, w1, Placement::shard(0));
  set_linear(f.w2, depth, Placement::shard(1));
  set_linear(f.w3, depth, Placement::shard(0));
  return f;
}

}  // namespace

Decoder::Config deepseek_v3_config(DeepSeekV3Args const& a, Mesh const& mesh) {
  InitSpec const tn002 = InitSpec::trunc_normal(0.0, 0.02, -2.0, 2.0);
  Placement const colwise = Placement::shard(0), rowwise = Placement::shard(1), whole = Placement::replicate();
  RMSNorm::Config norm;
  norm.eps = a.norm_eps;
  norm.param_init["weight"] = InitSpec::ones();
  norm.sharding["weight"] = fsdp_with_tp(whole);
  bool const yarn = a.rope_scaling == "yarn";

  Decoder::Config c;
  c.vocab_size = a.vocab_size;
  c.dim = a.dim;
  c.tie_embeddings = false;
  c.tok_embeddings.param_init["weight"] = InitSpec::normal(0.0, 1.0);
  c.tok_embeddings.sharding["weight"] = fsdp_with_tp(Placement::shard(0));

  for (std::int64_t i = 0; i < a.n_layers; ++i) {
    InitSpec const depth = InitSpec::trunc_normal(0.0, depth_scaled_std(0.02, i), -2.0, 2.0);
    MLAttention::Config attention;
    attention.n_heads = a.n_heads;
    attention.q_lora_rank = a.q_lora_rank;
    attention.kv_lora_rank = a.kv_lora_rank;
    attention.qk_nope_head_dim = a.qk_nope_head_dim;
    attention.qk_rope_head_dim = a.qk_rope_head_dim;
    attention.v_head_dim = a.v_head_dim;
    attention.mscale = a.mscale;
    attention.yarn_rope_factor = yarn ? a.rope_factor : 1.0;
    if (a.q_lora_rank == 0) {
      set_linear(attention.wq, tn002, colwise);
    } else {
      set_linear(attention.wq_a, tn002, whole);
      attention.q_norm = norm;
      set_linear(attention.wq_b, tn002, colwise);
    }
    set_linear(attention.wkv_a, tn002, whole);
    attention.kv_norm = norm;
    set_linear(attention.wkv_b, tn002, colwise);
    set_linear(attention.wo, depth, rowwise);

    TransformerBlock::Config b;
    b.add("attention", std::move(attention));
    b.add("attention_norm", norm);
    b.add("ffn_norm", norm);
    if (a.is_moe_layer(i)) {
      MoE::Config moe;
      moe.num_experts = a.num_experts;
      moe.hidden_dim = a.moe_hidden_dim;
      moe.load_balance_coeff = a.load_balance_coeff;
      GroupedExperts::Config experts;
      experts.param_init = {{"w1", tn002}, {"w2", depth}, {"w3", depth}};
      experts.sharding = {{"w1", expert_placements(mesh, a.num_experts, 1)},
                           {"w2", expert_placements(mesh, a.num_experts, 2)},
                           {"w3", expert_placements(mesh, a.num_experts, 1)}};
      moe.experts = std::make_shared<GroupedExperts::Config const>(std::move(experts));
      set_linear(moe.router.gate, depth, whole);
      moe.router.top_k = a.top_k;
      moe.router.score_func = a.score_func;
      moe.router.route_norm = a.route_norm;
      moe.router.route_scale = a.route_scale;
      moe.router.num_expert_groups = a.n_expert_groups;
      moe.router.num_limited_groups = a.n_limited_groups;
      if (a.num_shared_experts > 0) moe.shared_experts = swiglu(a.num_shared_experts * a.moe_hidden_dim, tn002, depth);
      b.add("moe", std::move(moe));
    } else {
      b.add("feed_forward", swiglu(a.hidden_dim, tn002, depth));
    }
    c.layers.push_back(std::move(b));
  }
  c.norm = norm;
  double const s = 1.0 / std::sqrt(static_cast<double>(a.dim));
  set_linear(c.output, InitSpec::trunc_normal(0.0, s, -3 * s, 3 * s), Placement::shard(0));

  // The model's one RoPE table, over the rotary part of q and k.
  c.rope.dim = a.qk_rope_head_dim;
  c.rope.max_seq_len = a.max_seq_len;
  c.rope.theta = a.rope_theta;
  c.rope.scaling = a.rope_scaling;
  c.rope.rope_factor = a.rope_factor;
  c.rope.beta_fast = a.rope_beta_fast;
  c.rope.beta_slow = a.rope_beta_slow;
  c.rope.original_seq_len = a.rope_original_seq_len;
  c.rope.truncate = a.rope_truncate;
  return c;
}

std::int64_t deepseek_v3_activated_params(DeepSeekV3Args const& a, std::int64_t total) {
  std::int64_t const per_expert = 3 * a.dim * a.moe_hidden_dim;
  return total - a.num_moe_layers() * (a.num_experts - a.top_k) * per_expert;
}

namespace {

std::unique_ptr<ModelConfig> model_config(ModelArgs const& args, Mesh const& mesh) {
  auto const& a = dynamic_cast<DeepSeekV3Args const&>(args);
  int const t = mesh.size(tp);
  require(a.n_heads % t == 0, "[mesh] tp = " + std::to_string(t) + " must divide n_heads = " +
                                  std::to_string(a.n_heads) + " (tensor parallelism splits whole heads)");
  check_expert_parallel(mesh.size(ep), a.num_moe_layers() > 0, a.num_experts,
                        "deepseek_v3 with n_dense_layers = n_layers");
  return std::make_unique<Decoder::Config>(deepseek_v3_config(a, mesh));
}

std::int64_t activated_params(ModelArgs const& args, std::int64_t total) {
  return deepseek_v3_activated_params(dynamic_cast<DeepSeekV3Args const&>(args), total);
}

}  // namespace

Family deepseek_v3_family() {
  Family f{deepseek_v3_deck_family(), model_config, activated_params, true};
  f.hf_adapter = deepseek_v3_hf_adapter;  // checkpoint/hf_adapter.hpp
  return f;
}

}  // namespace titan
