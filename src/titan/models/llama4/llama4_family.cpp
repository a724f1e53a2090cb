#include "titan/models/llama4/llama4_family.hpp"

#include "titan/models/llama4/llama4_hf.hpp"
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

Decoder::Config llama4_config(Llama4Args const& a, Mesh const& mesh) {
  InitSpec const tn002 = InitSpec::trunc_normal(0.0, 0.02, -2.0, 2.0);
  Placement const colwise = Placement::shard(0), rowwise = Placement::shard(1);
  RMSNorm::Config norm;
  norm.eps = a.norm_eps;
  norm.param_init["weight"] = InitSpec::ones();
  norm.sharding["weight"] = fsdp_with_tp(Placement::replicate());
  std::int64_t const fm = a.moe_hidden_dim();

  Decoder::Config c;
  c.vocab_size = a.vocab_size;
  c.dim = a.dim;
  c.tie_embeddings = false;
  c.tok_embeddings.param_init["weight"] = InitSpec::normal(0.0, 1.0);
  c.tok_embeddings.sharding["weight"] = fsdp_with_tp(Placement::shard(0));

  for (std::int64_t i = 0; i < a.n_layers; ++i) {
    InitSpec const depth = InitSpec::trunc_normal(0.0, depth_scaled_std(0.02, i), -2.0, 2.0);
    Attention::Config attention;
    attention.n_heads = a.n_heads;
    attention.n_kv_heads = a.n_kv_heads;
    attention.use_rope = !a.is_nope_layer(i);
    // iRoPE: torchtitan's get_attention_masks gives the RoPE layers the
    // causal AND fixed-block mask, the NoPE layers the causal mask only.
    attention.chunk_size = attention.use_rope ? a.fixed_attn_block_size : 0;
    set_linear(attention.wq, tn002, colwise);
    set_linear(attention.wk, tn002, colwise);
    set_linear(attention.wv, tn002, colwise);
    set_linear(attention.wo, depth, rowwise);
    TransformerBlock::Config b;
    b.add("attention", std::move(attention));
    if (a.is_moe_layer(i)) {
      MoE::Config moe;
      moe.num_experts = a.num_experts;
      moe.hidden_dim = fm;
      moe.load_balance_coeff = a.load_balance_coeff;
      GroupedExperts::Config experts;
      experts.param_init = {{"w1", tn002}, {"w2", depth}, {"w3", depth}};
      experts.sharding = {{"w1", expert_placements(mesh, a.num_experts, 1)},
                           {"w2", expert_placements(mesh, a.num_experts, 2)},
                           {"w3", expert_placements(mesh, a.num_experts, 1)}};
      moe.experts = std::make_shared<GroupedExperts::Config const>(std::move(experts));
      moe.score_before_experts = true;  // Llama4 keeps make_experts_config's default (Qwen3 and DeepSeek set False)
      set_linear(moe.router.gate, depth, Placement::replicate());
      moe.router.top_k = a.top_k;
      moe.router.score_func = a.score_func;
      moe.router.route_norm = a.route_norm;
      moe.router.route_scale = a.route_scale;
      if (a.num_shared_experts > 0) moe.shared_experts = swiglu(a.num_shared_experts * fm, tn002, depth);
      b.add("moe", std::move(moe));
    } else {
      b.add("feed_forward", swiglu(a.ffn_hidden_dim(), tn002, depth));
    }
    b.add("attention_norm", norm);
    b.add("ffn_norm", norm);
    c.layers.push_back(std::move(b));
  }
  c.norm = norm;
  double const s = 1.0 / std::sqrt(static_cast<double>(a.dim));
  set_linear(c.output, InitSpec::trunc_normal(0.0, s, -3 * s, 3 * s), Placement::shard(0));

  c.rope.dim = a.head_dim();
  c.rope.max_seq_len = a.max_seq_len;
  c.rope.theta = a.rope_theta;
  c.rope.scaling = a.rope_scaling;
  c.rope.scaling_factor = a.rope_scaling_factor;
  c.rope.low_freq_factor = a.rope_low_freq_factor;
  c.rope.high_freq_factor = a.rope_high_freq_factor;
  c.rope.original_max_position_embeddings = a.rope_original_max_position_embeddings;
  return c;
}

std::int64_t llama4_activated_params(Llama4Args const& a, std::int64_t total) {
  std::int64_t const per_expert = 3 * a.dim * a.moe_hidden_dim();
  return total - a.num_moe_layers() * (a.num_experts - a.top_k) * per_expert;
}

namespace {

std::unique_ptr<ModelConfig> model_config(ModelArgs const& args, Mesh const& mesh) {
  auto const& a = dynamic_cast<Llama4Args const&>(args);
  int const t = mesh.size(tp);
  require(a.n_heads % t == 0 && a.kv_heads() % t == 0,
          "[mesh] tp = " + std::to_string(t) + " must divide n_heads = " + std::to_string(a.n_heads) +
              " and n_kv_heads = " + std::to_string(a.kv_heads()) + " (tensor parallelism splits whole heads)");
  check_expert_parallel(mesh.size(ep), a.num_moe_layers() > 0, a.num_experts,
                        "llama4 with interleave_moe_layer_step = " + std::to_string(a.interleave_moe_layer_step) +
                            " > n_layers");
  return std::make_unique<Decoder::Config>(llama4_config(a, mesh));
}

std::int64_t activated_params(ModelArgs const& args, std::int64_t total) {
  return llama4_activated_params(dynamic_cast<Llama4Args const&>(args), total);
}

}  // namespace

Family llama4_family() {
  Family f{llama4_deck_family(), model_config, activated_params, true};
  f.hf_adapter = llama4_hf_adapter;  // checkpoint/hf_adapter.hpp
  return f;
}

}  // namespace titan
