#include "titan/models/qwen3/qwen3_family.hpp"

#include "titan/models/qwen3/qwen3_hf.hpp"
#include "titan/core/errors.hpp"
#include "titan/models/common/moe_rules.hpp"
#include "titan/models/common/placements.hpp"

#include <cmath>

namespace titan {

namespace {

void set_linear(Linear::Config& c, InitSpec init, Placement tp_placement) {
  c.param_init["weight"] = init;
  c.sharding["weight"] = fsdp_with_tp(tp_placement);
}

RMSNorm::Config norm_config(double eps) {
  RMSNorm::Config c;
  c.eps = eps;
  c.param_init["weight"] = InitSpec::ones();
  c.sharding["weight"] = fsdp_with_tp(Placement::replicate());
  return c;
}

}  // namespace

Decoder::Config qwen3_config(Qwen3Args const& a, Mesh const& mesh) {
  InitSpec const n002 = InitSpec::normal(0.0, 0.02);
  double const rho = 0.02 / std::sqrt(2.0 * static_cast<double>(a.n_layers));
  InitSpec const residual = a.moe_enabled ? InitSpec::normal(0.0, rho) : n002;
  Placement const colwise = Placement::shard(0), rowwise = Placement::shard(1);
  RMSNorm::Config const norm = norm_config(a.norm_eps);

  Decoder::Config c;
  c.vocab_size = a.vocab_size;
  c.dim = a.dim;
  c.tie_embeddings = a.tie_embeddings;
  c.tok_embeddings.param_init["weight"] = a.tie_embeddings ? InitSpec::skip() : n002;
  c.tok_embeddings.sharding["weight"] = fsdp_with_tp(Placement::shard(0));

  Attention::Config attention;
  attention.n_heads = a.n_heads;
  attention.n_kv_heads = a.n_kv_heads;
  attention.head_dim = a.head_dim;
  set_linear(attention.wq, n002, colwise);
  set_linear(attention.wk, n002, colwise);
  set_linear(attention.wv, n002, colwise);
  set_linear(attention.wo, residual, rowwise);
  if (a.qk_norm) attention.q_norm = attention.k_norm = norm;

  TransformerBlock::Config block;
  block.add("attention", attention);
  if (a.moe_enabled) {
    MoE::Config moe;
    moe.num_experts = a.num_experts;
    moe.hidden_dim = a.moe_hidden_dim;
    moe.load_balance_coeff = a.load_balance_coeff;
    GroupedExperts::Config experts;
    experts.param_init = {{"w1", n002}, {"w2", residual}, {"w3", n002}};
    experts.sharding = {{"w1", expert_placements(mesh, a.num_experts, 1)},
                         {"w2", expert_placements(mesh, a.num_experts, 2)},
                         {"w3", expert_placements(mesh, a.num_experts, 1)}};
    moe.experts = std::make_shared<GroupedExperts::Config const>(std::move(experts));
    set_linear(moe.router.gate, n002, Placement::replicate());
    moe.router.top_k = a.top_k;
    moe.router.score_func = a.score_func;
    moe.router.route_norm = a.route_norm;
    moe.router.route_scale = a.route_scale;
    block.add("moe", moe);
  } else {
    FeedForward::Config ffn;
    ffn.hidden_dim = a.hidden_dim;
    set_linear(ffn.w1, n002, colwise);
    set_linear(ffn.w2, n002, rowwise);
    set_linear(ffn.w3, n002, colwise);
    block.add("feed_forward", ffn);
  }
  block.add("attention_norm", norm);
  block.add("ffn_norm", norm);
  c.layers.assign(static_cast<std::size_t>(a.n_layers), block);  // every layer alike (no depth-scaled std)

  c.norm = norm;
  set_linear(c.output, n002, Placement::shard(0));

  c.rope.dim = a.head_dim;
  c.rope.max_seq_len = a.max_seq_len;
  c.rope.theta = a.rope_theta;
  c.rope.scaling = "none";
  c.rope.rotate_half = true;  // CosSinRoPE: pairs (x[j], x[j + hd/2])
  return c;
}

std::int64_t qwen3_activated_params(Qwen3Args const& a, std::int64_t total) {
  if (!a.moe_enabled) return total;
  std::int64_t const per_expert = 3 * a.dim * a.moe_hidden_dim;
  return total - a.n_layers * (a.num_experts - a.top_k) * per_expert;
}

namespace {

std::unique_ptr<ModelConfig> model_config(ModelArgs const& args, Mesh const& mesh) {
  auto const& a = dynamic_cast<Qwen3Args const&>(args);
  int const t = mesh.size(tp);
  require(a.n_heads % t == 0 && a.kv_heads() % t == 0,
          "[mesh] tp = " + std::to_string(t) + " must divide n_heads = " + std::to_string(a.n_heads) +
              " and n_kv_heads = " + std::to_string(a.kv_heads()) + " (tensor parallelism splits whole heads)");
  check_expert_parallel(mesh.size(ep), a.moe_enabled, a.num_experts, "qwen3 with moe_enabled = false");
  return std::make_unique<Decoder::Config>(qwen3_config(a, mesh));
}

std::int64_t activated_params(ModelArgs const& args, std::int64_t total) {
  return qwen3_activated_params(dynamic_cast<Qwen3Args const&>(args), total);
}

}  // namespace

Family qwen3_family() {
  Family f{qwen3_deck_family(), model_config, activated_params, true};
  f.hf_adapter = qwen3_hf_adapter;  // checkpoint/hf_adapter.hpp
  return f;
}

}  // namespace titan
