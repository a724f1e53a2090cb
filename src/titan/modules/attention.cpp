#include "titan/modules/attention.hpp"

#include "titan/core/errors.hpp"

#include <cmath>

namespace titan {

std::unique_ptr<Attention> Attention::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<Attention>(new Attention(*this, ctx, args));
}

std::unique_ptr<Module> Attention::Config::build_part(BuildContext const& ctx, std::int64_t dim) const {
  return build(ctx, {{"dim", dim}});
}

std::int64_t Attention::Config::resolved_head_dim(std::int64_t dim, std::string const& where) const {
  require(n_heads > 0, where + ": n_heads must be > 0 (got " + std::to_string(n_heads) + ")");
  if (head_dim) {
    require(*head_dim > 0, where + ": head_dim must be > 0 (got " + std::to_string(*head_dim) + ")");
    return *head_dim;
  }
  require(dim % n_heads == 0,
          where + ": n_heads = " + std::to_string(n_heads) + " does not divide dim = " + std::to_string(dim));
  return dim / n_heads;
}

Attention::Attention(Config const& config, BuildContext const& ctx, BuildArgs& args) : Module(config, ctx) {
  std::string const where = "Attention.Config (" + fqn() + ")";
  std::int64_t const dim = args.take("dim", std::nullopt, where);
  args.expect_all_taken(where);
  _n_heads = config.n_heads;
  _head_dim = config.resolved_head_dim(dim, where);
  _n_kv_heads = config.n_kv_heads.value_or(_n_heads);
  require(_n_kv_heads > 0, where + ": n_kv_heads must be > 0 (got " + std::to_string(_n_kv_heads) + ")");
  require(_n_heads % _n_kv_heads == 0, where + ": n_kv_heads = " + std::to_string(_n_kv_heads) +
                                           " does not divide n_heads = " + std::to_string(_n_heads));
  _wq = &add_child("wq", config.wq.build(ctx.child("wq"), {{"in_features", dim}, {"out_features", _n_heads * _head_dim}}));
  _wk = &add_child("wk", config.wk.build(ctx.child("wk"), {{"in_features", dim}, {"out_features", _n_kv_heads * _head_dim}}));
  _wv = &add_child("wv", config.wv.build(ctx.child("wv"), {{"in_features", dim}, {"out_features", _n_kv_heads * _head_dim}}));
  _wo = &add_child("wo", config.wo.build(ctx.child("wo"), {{"in_features", _n_heads * _head_dim}, {"out_features", dim}}));
  require(config.q_norm.has_value() == config.k_norm.has_value(),
          where + ": q_norm and k_norm come together (both or neither)");
  _use_rope = config.use_rope;
  _qk_norm = config.q_norm.has_value();
  if (_qk_norm) {
    _q_norm = &add_child("q_norm", config.q_norm->build(ctx.child("q_norm"), {{"normalized_shape", _head_dim}}));
    _k_norm = &add_child("k_norm", config.k_norm->build(ctx.child("k_norm"), {{"normalized_shape", _head_dim}}));
  }
  require(config.sliding_window >= 0, where + ": sliding_window must be >= 0 (got " +
                                          std::to_string(config.sliding_window) + ")");
  _sliding_window = config.sliding_window;
  require(config.chunk_size >= 0, where + ": chunk_size must be >= 0 (got " + std::to_string(config.chunk_size) + ")");
  _chunk_size = config.chunk_size;
  require(!config.softmax_scale || *config.softmax_scale > 0, where + ": softmax_scale must be > 0");
  _softmax_scale = config.softmax_scale.value_or(1.0 / std::sqrt(static_cast<double>(_head_dim)));
  if (config.sinks) _sinks = add_parameter("sinks", {_n_heads});
}

}  // namespace titan
