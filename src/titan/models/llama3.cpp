#include "titan/models/llama3.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"

#include <cmath>

namespace titan {

std::vector<std::string> llama3_flavors() { return {"debugmodel", "1B", "3B", "8B", "70B", "405B"}; }

Llama3Args llama3_flavor(std::string const& flavor) {
  Llama3Args a;  // defaults = debugmodel
  auto set = [&](std::int64_t dim, std::int64_t layers, std::int64_t heads, std::int64_t kv, std::int64_t multiple_of,
                 double mult, bool tied) {
    a.dim = dim;
    a.n_layers = layers;
    a.n_heads = heads;
    a.n_kv_heads = kv;
    a.vocab_size = 128256;
    a.multiple_of = multiple_of;
    a.ffn_dim_multiplier = mult;
    a.tie_embeddings = tied;
    a.max_seq_len = 8192;
  };
  if (flavor == "debugmodel") return a;
  if (flavor == "1B") set(2048, 16, 32, 8, 1024, 1.5, true);
  else if (flavor == "3B") set(3072, 28, 24, 8, 1024, 1.0, true);
  else if (flavor == "8B") set(4096, 32, 32, 8, 1024, 1.3, false);
  else if (flavor == "70B") set(8192, 80, 64, 8, 4096, 1.3, false);
  else if (flavor == "405B") set(16384, 126, 128, 8, 4096, 1.2, false);
  else {
    std::string list;
    for (auto const& f : llama3_flavors()) list += (list.empty() ? "" : ", ") + f;
    throw InputError("[model] unknown llama3 flavor '" + echo(flavor) + "' (valid: " + list + ")");
  }
  return a;
}

double depth_scaled_std(double base, std::int64_t layer) { return base / std::sqrt(2.0 * static_cast<double>(layer + 1)); }

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
    TransformerBlock::Config b;
    b.attention.n_heads = a.n_heads;
    b.attention.n_kv_heads = a.n_kv_heads;
    set_linear(b.attention.wq, tn002, colwise);
    set_linear(b.attention.wk, tn002, colwise);
    set_linear(b.attention.wv, tn002, colwise);
    set_linear(b.attention.wo, depth, rowwise);
    b.feed_forward.multiple_of = a.multiple_of;
    b.feed_forward.ffn_dim_multiplier = a.ffn_dim_multiplier;
    set_linear(b.feed_forward.w1, tn002, colwise);
    set_linear(b.feed_forward.w2, depth, rowwise);
    set_linear(b.feed_forward.w3, depth, colwise);
    set_norm(b.attention_norm, a.norm_eps);
    set_norm(b.ffn_norm, a.norm_eps);
    c.layers.push_back(std::move(b));
  }
  set_norm(c.norm, a.norm_eps);
  double const s = 1.0 / std::sqrt(static_cast<double>(a.dim));
  set_linear(c.output, InitSpec::trunc_normal(0.0, s, -3 * s, 3 * s), Placement::shard(0));

  c.rope.max_seq_len = a.max_seq_len;
  c.rope.theta = a.rope_theta;
  c.rope.scaling = a.rope_scaling;
  c.rope.scaling_factor = a.rope_scaling_factor;
  c.rope.low_freq_factor = a.rope_low_freq_factor;
  c.rope.high_freq_factor = a.rope_high_freq_factor;
  c.rope.original_max_position_embeddings = a.rope_original_max_position_embeddings;
  return c;
}

}  // namespace titan
