#include "titan/models/flux/flux_family.hpp"

#include "titan/models/flux/flux_hf.hpp"
#include "titan/core/errors.hpp"

#include <cmath>

namespace titan {

using namespace flux;

InitSpec xavier_uniform(std::int64_t in_features, std::int64_t out_features) {
  double const r = std::sqrt(6.0 / (static_cast<double>(in_features) + static_cast<double>(out_features)));
  return InitSpec::uniform(-r, r);
}

namespace {

// FSDP only: Shard(0) over dp_shard, Replicate over ep and tp.
Placements fsdp() {
  Placements p = replicated();
  p[dp_shard] = Placement::shard(0);
  return p;
}

// A Linear with bias: its weight initializer, zero bias, FSDP placements.
Linear::Config linear(InitSpec weight, bool bias = true) {
  Linear::Config c;
  c.bias = bias;
  c.param_init["weight"] = weight;
  c.param_init["bias"] = InitSpec::zeros();
  c.sharding["weight"] = fsdp();
  c.sharding["bias"] = fsdp();
  return c;
}

Linear::Config xavier_linear(std::int64_t in, std::int64_t out, bool bias = true) {
  return linear(xavier_uniform(in, out), bias);
}

QKNorm::Config qk_norm(double eps) {
  QKNorm::Config c;
  for (RMSNorm::Config* n : {&c.query_norm, &c.key_norm}) {
    n->eps = eps;
    n->param_init["weight"] = InitSpec::ones();
    n->sharding["weight"] = fsdp();
  }
  return c;
}

LayerNorm::Config layer_norm(double eps) {
  LayerNorm::Config c;
  c.eps = eps;
  c.elementwise_affine = false;
  return c;
}

Modulation::Config modulation(bool is_double) {
  Modulation::Config c;
  c.is_double = is_double;
  c.lin = linear(InitSpec::zeros());
  return c;
}

SelfAttention::Config self_attention(FluxArgs const& a) {
  std::int64_t const h = a.hidden_size;
  SelfAttention::Config c;
  c.qkv = xavier_linear(h, 3 * h, a.qkv_bias);
  c.norm = qk_norm(a.qk_norm_eps);
  c.proj = xavier_linear(h, h);
  return c;
}

MLPEmbedder::Config mlp_embedder() {
  MLPEmbedder::Config c;
  c.in_layer = linear(InitSpec::normal(0.0, 0.02));
  c.out_layer = linear(InitSpec::normal(0.0, 0.02));
  return c;
}

}  // namespace

FluxModel::Config flux_config(FluxArgs const& a) {
  std::int64_t const h = a.hidden_size, m = a.mlp_hidden_dim();
  FluxModel::Config c;
  c.in_channels = a.in_channels;
  c.out_channels = a.out_channels;
  c.vec_in_dim = a.vec_in_dim;
  c.context_in_dim = a.context_in_dim;
  c.hidden_size = h;
  c.num_heads = a.num_heads;
  c.mlp_ratio = a.mlp_ratio;
  c.patch_size = a.patch_size;
  c.time_dim = flux_time_embedding_dim;
  c.pe_embedder.theta = a.theta;
  c.pe_embedder.axes_dim = a.axes_dim;

  c.img_in = xavier_linear(a.in_channels, h);
  c.time_in = mlp_embedder();
  c.vector_in = mlp_embedder();
  c.txt_in = xavier_linear(a.context_in_dim, h);

  DoubleStreamBlock::Config d;
  d.img_mod = d.txt_mod = modulation(true);
  d.img_attn = d.txt_attn = self_attention(a);
  d.img_mlp_in = d.txt_mlp_in = xavier_linear(h, m);
  d.img_mlp_out = d.txt_mlp_out = xavier_linear(m, h);
  d.norm = layer_norm(a.norm_eps);
  c.double_blocks.assign(static_cast<std::size_t>(a.depth), d);

  SingleStreamBlock::Config s;
  s.linear1 = xavier_linear(h, 3 * h + m);
  s.linear2 = xavier_linear(h + m, h);
  s.norm = qk_norm(a.qk_norm_eps);
  s.pre_norm = layer_norm(a.norm_eps);
  s.modulation = modulation(false);
  c.single_blocks.assign(static_cast<std::size_t>(a.depth_single_blocks), s);

  c.final_layer.norm_final = layer_norm(a.norm_eps);
  c.final_layer.linear = linear(InitSpec::zeros());
  c.final_layer.adaln_linear = linear(InitSpec::zeros());
  return c;
}

namespace {

std::unique_ptr<ModelConfig> model_config(ModelArgs const& args, Mesh const& mesh) {
  auto const& a = dynamic_cast<FluxArgs const&>(args);
  require(mesh.size(tp) == 1, "[mesh] tp = " + std::to_string(mesh.size(tp)) +
                                  " but flux has no tensor-parallel plan (torchtitan shards Flux with FSDP only); "
                                  "use tp = 1 and put the ranks on dp_shard");
  require(mesh.size(ep) == 1, "[mesh] ep = " + std::to_string(mesh.size(ep)) +
                                  " but flux has no routed experts to split; use ep = 1");
  return std::make_unique<FluxModel::Config>(flux_config(a));
}

std::int64_t activated_params(ModelArgs const&, std::int64_t total) { return total; }  // dense: every parameter

}  // namespace

Family flux_family() {
  Family f{flux_deck_family(), model_config, activated_params};
  f.hf_adapter = flux_hf_adapter;  // checkpoint/hf_adapter.hpp
  return f;
}

}  // namespace titan
