#include "titan/modules/mla.hpp"

#include "titan/core/errors.hpp"

#include <cmath>

namespace titan {

std::unique_ptr<MLAttention> MLAttention::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<MLAttention>(new MLAttention(*this, ctx, args));
}

std::unique_ptr<Module> MLAttention::Config::build_part(BuildContext const& ctx, std::int64_t dim) const {
  return build(ctx, {{"dim", dim}});
}

double MLAttention::Config::softmax_scale() const {
  double scale = 1.0 / std::sqrt(static_cast<double>(qk_nope_head_dim + qk_rope_head_dim));
  if (yarn_rope_factor > 1.0) {
    double const m = 0.1 * mscale * std::log(yarn_rope_factor) + 1.0;
    scale *= m * m;
  }
  return scale;
}

MLAttention::MLAttention(Config const& config, BuildContext const& ctx, BuildArgs& args) : Module(config, ctx) {
  std::string const where = "MLAttention.Config (" + fqn() + ")";
  std::int64_t const dim = args.take("dim", std::nullopt, where);
  args.expect_all_taken(where);
  auto positive = [&](char const* name, std::int64_t v) {
    require(v > 0, where + ": " + name + " must be > 0 (got " + std::to_string(v) + ")");
  };
  positive("n_heads", config.n_heads);
  positive("kv_lora_rank", config.kv_lora_rank);
  positive("qk_nope_head_dim", config.qk_nope_head_dim);
  positive("qk_rope_head_dim", config.qk_rope_head_dim);
  positive("v_head_dim", config.v_head_dim);
  require(config.q_lora_rank >= 0, where + ": q_lora_rank must be >= 0 (0 = no low-rank q; got " +
                                       std::to_string(config.q_lora_rank) + ")");
  require(std::isfinite(config.mscale) && config.mscale > 0, where + ": mscale must be > 0");
  _n_heads = config.n_heads;
  _q_lora_rank = config.q_lora_rank;
  _qk_head_dim = config.qk_nope_head_dim + config.qk_rope_head_dim;
  _nope = config.qk_nope_head_dim;
  _rope = config.qk_rope_head_dim;
  _v_head_dim = config.v_head_dim;
  _kv_lora_rank = config.kv_lora_rank;
  _softmax_scale = config.softmax_scale();
  std::int64_t const h = config.n_heads;
  if (_q_lora_rank == 0) {
    _wq = &add_child("wq", config.wq.build(ctx.child("wq"), {{"in_features", dim}, {"out_features", h * _qk_head_dim}}));
  } else {
    _wq_a = &add_child("wq_a", config.wq_a.build(ctx.child("wq_a"), {{"in_features", dim}, {"out_features", _q_lora_rank}}));
    _q_norm = &add_child("q_norm", config.q_norm.build(ctx.child("q_norm"), {{"normalized_shape", _q_lora_rank}}));
    _wq_b = &add_child("wq_b", config.wq_b.build(ctx.child("wq_b"),
                                        {{"in_features", _q_lora_rank}, {"out_features", h * _qk_head_dim}}));
  }
  _wkv_a = &add_child("wkv_a", config.wkv_a.build(ctx.child("wkv_a"), {{"in_features", dim},
                                                             {"out_features", config.kv_lora_rank +
                                                                                  config.qk_rope_head_dim}}));
  _kv_norm = &add_child("kv_norm", config.kv_norm.build(ctx.child("kv_norm"), {{"normalized_shape", config.kv_lora_rank}}));
  _wkv_b = &add_child("wkv_b", config.wkv_b.build(ctx.child("wkv_b"),
                                        {{"in_features", config.kv_lora_rank},
                                         {"out_features", h * (config.qk_nope_head_dim + config.v_head_dim)}}));
  _wo = &add_child("wo", config.wo.build(ctx.child("wo"), {{"in_features", h * config.v_head_dim}, {"out_features", dim}}));
}

}  // namespace titan
