#include "titan/modules/transformer_block.hpp"

namespace titan {

std::unique_ptr<TransformerBlock> TransformerBlock::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<TransformerBlock>(new TransformerBlock(*this, ctx, args));
}

TransformerBlock::TransformerBlock(Config const& config, BuildContext const& ctx, BuildArgs& args)
    : Module(config, ctx) {
  std::string const where = "TransformerBlock.Config (" + fqn() + ")";
  std::int64_t const dim = args.take("dim", std::nullopt, where);
  args.expect_all_taken(where);
  _attention = &add_child("attention", config.attention.build(ctx.child("attention"), {{"dim", dim}}));
  _feed_forward = &add_child("feed_forward", config.feed_forward.build(ctx.child("feed_forward"), {{"dim", dim}}));
  add_child("attention_norm", config.attention_norm.build(ctx.child("attention_norm"), {{"normalized_shape", dim}}));
  add_child("ffn_norm", config.ffn_norm.build(ctx.child("ffn_norm"), {{"normalized_shape", dim}}));
}

}  // namespace titan
