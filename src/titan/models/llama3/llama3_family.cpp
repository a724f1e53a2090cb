#include "titan/models/llama3/llama3_family.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/common/init_rules.hpp"
#include "titan/models/llama3/llama3_hf.hpp"

#include <cmath>

namespace titan {

namespace {

// Placements over (dp_shard, ep, tp): FSDP shards dim 0; `tp` as given.
Placements fsdp_with_tp(Placement tp_placement) {
  Placements p = replicated();
  p[dp_shard] = Placement::shard(0);
  p[tp] = tp_placement;
  return p;
}

void set_linear(Linear::Config& c, InitSpec init, Placement tp_placement) {
  c.param_init["weight"] = init;
  c.sharding["weight"] = fsdp_with_tp(tp_placement);
}

void set_norm(RMSNorm::Config& c, double eps) {
  c.eps = eps;
  c.param_init["weight"] = InitSpec::ones();
  c.sharding["weight"] = fsdp_with_tp(Placement::replicate());
}

}  // namespace

Decoder::Config llama3_config(Llama3Args const& a) {
  InitSpec const tn002 = InitSpec::trunc_normal(0.0, 0.02, -2.0, 2.0);
  Placement const colwise = Placement::shard(0), rowwise = Placement::shard(1);

  Decoder::Config c;
  c.vocab_size = a.vocab_size;
  c.dim = a.dim;
  c.tie_embeddings = a.tie_embeddings;

  c.tok_embeddings.param_init["weight"] = a.tie_embeddings ? InitSpec::skip() : InitSpec::normal(0.0, 1.0);
  c.tok_embeddings.sharding["weight"] = fsdp_with_tp(Placement::shard(0));

  for (std::int64_t i = 0; i < a.n_layers; ++i) {
    double const sigma = depth_scaled_std(0.02, i);
    InitSpec const depth = InitSpec::trunc_normal(0.0, sigma, -2.0, 2.0);
    Attention::Config attention;
    attention.n_heads = a.n_heads;
    attention.n_kv_heads = a.n_kv_heads;
    set_linear(attention.wq, tn002, colwise);
    set_linear(attention.wk, tn002, colwise);
    set_linear(attention.wv, tn002, colwise);
    set_linear(attention.wo, depth, rowwise);
    FeedForward::Config feed_forward;
    feed_forward.multiple_of = a.multiple_of;
    feed_forward.ffn_dim_multiplier = a.ffn_dim_multiplier;
    set_linear(feed_forward.w1, tn002, colwise);
    set_linear(feed_forward.w2, depth, rowwise);
    set_linear(feed_forward.w3, depth, colwise);
    RMSNorm::Config norm;
    set_norm(norm, a.norm_eps);
    TransformerBlock::Config b;  // torchtitan's registration order
    b.add("attention", std::move(attention));
    b.add("feed_forward", std::move(feed_forward));
    b.add("attention_norm", norm);
    b.add("ffn_norm", norm);
    c.layers.push_back(std::move(b));
  }
  set_norm(c.norm, a.norm_eps);
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

namespace {

std::unique_ptr<ModelConfig> model_config(ModelArgs const& args, Mesh const& mesh) {
  auto const& a = dynamic_cast<Llama3Args const&>(args);
  int const t = mesh.size(tp);
  require(a.n_heads % t == 0 && a.kv_heads() % t == 0,
          "[mesh] tp = " + std::to_string(t) + " must divide n_heads = " + std::to_string(a.n_heads) +
              " and n_kv_heads = " + std::to_string(a.kv_heads()) + " (tensor parallelism splits whole heads)");
  require(mesh.size(ep) == 1, "[mesh] ep = " + std::to_string(mesh.size(ep)) +
                                  " but llama3 has no routed experts to split; use ep = 1");
  return std::make_unique<Decoder::Config>(llama3_config(a));
}

std::int64_t activated_params(ModelArgs const&, std::int64_t total) { return total; }  // dense: every parameter

}  // namespace

Family llama3_family() {
  Family f{llama3_deck_family(), model_config, activated_params, true};
  f.hf_adapter = llama3_hf_adapter;  // checkpoint/hf_adapter.hpp
  return f;
}

}  // namespace titan
