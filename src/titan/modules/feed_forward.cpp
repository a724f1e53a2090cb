#include "titan/modules/feed_forward.hpp"

#include "titan/core/errors.hpp"

namespace titan {

std::int64_t FeedForward::Config::resolved_hidden_dim(std::int64_t dim) const {
  return hidden_dim ? *hidden_dim : llama_ffn_hidden_dim(dim, multiple_of, ffn_dim_multiplier);
}

std::unique_ptr<Module> FeedForward::Config::build_part(BuildContext const& ctx, std::int64_t dim) const {
  return build(ctx, {{"dim", dim}});
}

std::unique_ptr<FeedForward> FeedForward::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<FeedForward>(new FeedForward(*this, ctx, args));
}

FeedForward::FeedForward(Config const& config, BuildContext const& ctx, BuildArgs& args) : Module(config, ctx) {
  std::string const where = "FeedForward.Config (" + fqn() + ")";
  std::int64_t const dim = args.take("dim", std::nullopt, where);
  args.expect_all_taken(where);
  require(config.multiple_of > 0, where + ": multiple_of must be > 0 (got " + std::to_string(config.multiple_of) + ")");
  require(!config.ffn_dim_multiplier || *config.ffn_dim_multiplier > 0,
          where + ": ffn_dim_multiplier must be > 0");
  _hidden = config.resolved_hidden_dim(dim);
  require(_hidden > 0, where + ": hidden_dim must be > 0 (got " + std::to_string(_hidden) + ")");
  _w1 = &add_child("w1", config.w1.build(ctx.child("w1"), {{"in_features", dim}, {"out_features", _hidden}}));
  _w2 = &add_child("w2", config.w2.build(ctx.child("w2"), {{"in_features", _hidden}, {"out_features", dim}}));
  _w3 = &add_child("w3", config.w3.build(ctx.child("w3"), {{"in_features", dim}, {"out_features", _hidden}}));
}

}  // namespace titan
