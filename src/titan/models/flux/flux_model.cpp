#include "titan/models/flux/flux_model.hpp"

#include "titan/core/errors.hpp"

#include <cmath>

namespace titan::flux {

std::unique_ptr<FluxModel> FluxModel::Config::build(BuildContext const& ctx) const {
  return std::unique_ptr<FluxModel>(new FluxModel(*this, ctx));
}

FluxModel::FluxModel(Config const& c, BuildContext const& ctx) : Module(c, ctx) {
  std::string const where = "FluxModel.Config";
  for (auto [name, v] : {std::pair<char const*, std::int64_t>{"hidden_size", c.hidden_size}, {"num_heads", c.num_heads},
                         {"in_channels", c.in_channels}, {"out_channels", c.out_channels}, {"vec_in_dim", c.vec_in_dim},
                         {"context_in_dim", c.context_in_dim}, {"patch_size", c.patch_size}, {"time_dim", c.time_dim}})
    require(v > 0, where + ": " + name + " must be > 0 (got " + std::to_string(v) + ")");
  require(c.hidden_size % c.num_heads == 0, where + ": hidden size " + std::to_string(c.hidden_size) +
                                                " must be divisible by num_heads " + std::to_string(c.num_heads));
  double const m = std::floor(static_cast<double>(c.hidden_size) * c.mlp_ratio);
  require(std::isfinite(m) && m >= 1 && m < 9007199254740992.0,
          where + ": int(hidden_size * mlp_ratio) must be a positive width (mlp_ratio = " + std::to_string(c.mlp_ratio) + ")");
  _head_dim = c.hidden_size / c.num_heads;
  _mlp_hidden_dim = static_cast<std::int64_t>(m);
  std::int64_t const h = c.hidden_size;

  add_child("pe_embedder", c.pe_embedder.build(ctx.child("pe_embedder"), {{"dim", _head_dim}}));
  add_child("img_in", c.img_in.build(ctx.child("img_in"), {{"in_features", c.in_channels}, {"out_features", h}}));
  add_child("time_in", c.time_in.build(ctx.child("time_in"), {{"in_dim", c.time_dim}, {"hidden_dim", h}}));
  add_child("vector_in", c.vector_in.build(ctx.child("vector_in"), {{"in_dim", c.vec_in_dim}, {"hidden_dim", h}}));
  add_child("txt_in", c.txt_in.build(ctx.child("txt_in"), {{"in_features", c.context_in_dim}, {"out_features", h}}));

  BuildArgs const block_args{{"hidden_size", h}, {"num_heads", c.num_heads}, {"mlp_hidden_dim", _mlp_hidden_dim}};
  BuildContext const dctx = ctx.child("double_blocks");
  auto doubles = std::make_unique<ModuleList>(dctx);
  for (std::size_t b = 0; b < c.double_blocks.size(); ++b)
    doubles->append(c.double_blocks[b].build(dctx.child(std::to_string(b)), block_args));
  add_child("double_blocks", std::move(doubles));
  BuildContext const sctx = ctx.child("single_blocks");
  auto singles = std::make_unique<ModuleList>(sctx);
  for (std::size_t b = 0; b < c.single_blocks.size(); ++b)
    singles->append(c.single_blocks[b].build(sctx.child(std::to_string(b)), block_args));
  add_child("single_blocks", std::move(singles));

  add_child("final_layer", c.final_layer.build(ctx.child("final_layer"), {{"hidden_size", h},
                                                                          {"patch_size", c.patch_size},
                                                                          {"out_channels", c.out_channels}}));
}

}  // namespace titan::flux
