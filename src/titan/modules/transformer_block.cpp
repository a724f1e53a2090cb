#include "titan/modules/transformer_block.hpp"

namespace titan {

std::unique_ptr<TransformerBlock> TransformerBlock::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<TransformerBlock>(new TransformerBlock(*this, ctx, args));
}

TransformerBlock::TransformerBlock(Config const& config, BuildContext const& ctx, BuildArgs& args)
    : Module(config, ctx) {
  std::string const where = "TransformerBlock.Config (" + fqn() + ")";
  std::int64_t const dim = args.take("dim", std::nullopt, where);
  _dim = dim;
  args.expect_all_taken(where);
  require(!config.parts.empty(), where + ": a block needs at least one part");
  for (auto const& [name, part] : config.parts) {
    require(part != nullptr, where + ": part '" + name + "' has no config");
    Module& m = add_child(name, part->build_part(ctx.child(name), dim));
    auto* layer = dynamic_cast<Layer*>(&m);
    if (name == "attention") _attention = layer;
    if (name == "attention_norm") _attention_norm = layer;
    if (name == "ffn_norm") _ffn_norm = layer;
    if (name == "feed_forward" || name == "moe") _ffn = layer;
  }
}

}  // namespace titan
