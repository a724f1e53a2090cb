#include "titan/models/flux/flux_blocks.hpp"

#include "titan/core/errors.hpp"

#include <cmath>

namespace titan::flux {

namespace {

// A Sequential of (Linear, activation, Linear) or (activation, Linear):
// children named by position, as torchtitan's Sequential names them.
std::unique_ptr<ModuleList> sequential(BuildContext const& ctx) { return std::make_unique<ModuleList>(ctx); }

Activation::Config activation(Activation::Kind kind) {
  Activation::Config c;
  c.kind = kind;
  return c;
}

}  // namespace

// ---- EmbedND ----------------------------------------------------------------

std::unique_ptr<EmbedND> EmbedND::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<EmbedND>(new EmbedND(*this, ctx, args));
}

EmbedND::EmbedND(Config const& config, BuildContext const& ctx, BuildArgs& args)
    : Module(config, ctx), _theta(config.theta), _axes_dim(config.axes_dim) {
  std::string const where = "EmbedND.Config (" + fqn() + ")";
  _dim = args.take("dim", std::nullopt, where);
  args.expect_all_taken(where);
  require(std::isfinite(_theta) && _theta > 1, where + ": theta must be > 1 (got " + std::to_string(_theta) + ")");
  require(!_axes_dim.empty(), where + ": axes_dim is empty");
  std::int64_t sum = 0;
  for (std::int64_t d : _axes_dim) {
    require(d > 0 && d % 2 == 0 && d <= _dim,
            where + ": every axes_dim entry must be even and in 2.." + std::to_string(_dim) + " (got " +
                std::to_string(d) + ")");
    sum += d;  // each <= dim and at most 64 entries in a deck; a direct Config is checked here entry by entry
    require(sum <= _dim, where + ": axes_dim sums to more than head_dim = " + std::to_string(_dim));
  }
  require(sum == _dim, where + ": axes_dim sums to " + std::to_string(sum) + " but head_dim = " + std::to_string(_dim));
}

// ---- MLPEmbedder -------------------------------------------------------------

std::unique_ptr<MLPEmbedder> MLPEmbedder::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<MLPEmbedder>(new MLPEmbedder(*this, ctx, args));
}

MLPEmbedder::MLPEmbedder(Config const& config, BuildContext const& ctx, BuildArgs& args) : Module(config, ctx) {
  std::string const where = "MLPEmbedder.Config (" + fqn() + ")";
  std::int64_t const in_dim = args.take("in_dim", std::nullopt, where);
  std::int64_t const hidden = args.take("hidden_dim", std::nullopt, where);
  args.expect_all_taken(where);
  add_child("in_layer", config.in_layer.build(ctx.child("in_layer"), {{"in_features", in_dim}, {"out_features", hidden}}));
  add_child("silu", activation(Activation::Kind::silu).build(ctx.child("silu")));
  add_child("out_layer",
            config.out_layer.build(ctx.child("out_layer"), {{"in_features", hidden}, {"out_features", hidden}}));
}

// ---- QKNorm -------------------------------------------------------------------

std::unique_ptr<QKNorm> QKNorm::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<QKNorm>(new QKNorm(*this, ctx, args));
}

QKNorm::QKNorm(Config const& config, BuildContext const& ctx, BuildArgs& args) : Module(config, ctx) {
  std::string const where = "QKNorm.Config (" + fqn() + ")";
  std::int64_t const head_dim = args.take("head_dim", std::nullopt, where);
  args.expect_all_taken(where);
  add_child("query_norm", config.query_norm.build(ctx.child("query_norm"), {{"normalized_shape", head_dim}}));
  add_child("key_norm", config.key_norm.build(ctx.child("key_norm"), {{"normalized_shape", head_dim}}));
}

// ---- SelfAttention --------------------------------------------------------------

std::unique_ptr<SelfAttention> SelfAttention::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<SelfAttention>(new SelfAttention(*this, ctx, args));
}

SelfAttention::SelfAttention(Config const& config, BuildContext const& ctx, BuildArgs& args) : Module(config, ctx) {
  std::string const where = "SelfAttention.Config (" + fqn() + ")";
  std::int64_t const dim = args.take("dim", std::nullopt, where);
  std::int64_t const heads = args.take("num_heads", std::nullopt, where);
  args.expect_all_taken(where);
  require(heads > 0 && dim % heads == 0,
          where + ": num_heads = " + std::to_string(heads) + " does not divide dim = " + std::to_string(dim));
  add_child("qkv", config.qkv.build(ctx.child("qkv"), {{"in_features", dim}, {"out_features", 3 * dim}}));
  add_child("norm", config.norm.build(ctx.child("norm"), {{"head_dim", dim / heads}}));
  add_child("proj", config.proj.build(ctx.child("proj"), {{"in_features", dim}, {"out_features", dim}}));
}

// ---- Modulation ------------------------------------------------------------------

std::unique_ptr<Modulation> Modulation::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<Modulation>(new Modulation(*this, ctx, args));
}

Modulation::Modulation(Config const& config, BuildContext const& ctx, BuildArgs& args)
    : Module(config, ctx), _multiplier(config.is_double ? 6 : 3) {
  std::string const where = "Modulation.Config (" + fqn() + ")";
  std::int64_t const dim = args.take("dim", std::nullopt, where);
  args.expect_all_taken(where);
  add_child("lin", config.lin.build(ctx.child("lin"), {{"in_features", dim}, {"out_features", _multiplier * dim}}));
}

// ---- DoubleStreamBlock --------------------------------------------------------------

std::unique_ptr<DoubleStreamBlock> DoubleStreamBlock::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<DoubleStreamBlock>(new DoubleStreamBlock(*this, ctx, args));
}

DoubleStreamBlock::DoubleStreamBlock(Config const& config, BuildContext const& ctx, BuildArgs& args)
    : Module(config, ctx) {
  std::string const where = "DoubleStreamBlock.Config (" + fqn() + ")";
  std::int64_t const h = args.take("hidden_size", std::nullopt, where);
  std::int64_t const heads = args.take("num_heads", std::nullopt, where);
  std::int64_t const m = args.take("mlp_hidden_dim", std::nullopt, where);
  args.expect_all_taken(where);
  require(config.img_mod.is_double && config.txt_mod.is_double, where + ": img_mod and txt_mod must be double modulations");
  auto stream = [&](std::string const& s, Modulation::Config const& mod, SelfAttention::Config const& attn,
                    Linear::Config const& mlp_in, Linear::Config const& mlp_out) {
    add_child(s + "_mod", mod.build(ctx.child(s + "_mod"), {{"dim", h}}));
    add_child(s + "_norm1", config.norm.build(ctx.child(s + "_norm1"), {{"normalized_shape", h}}));
    add_child(s + "_attn", attn.build(ctx.child(s + "_attn"), {{"dim", h}, {"num_heads", heads}}));
    add_child(s + "_norm2", config.norm.build(ctx.child(s + "_norm2"), {{"normalized_shape", h}}));
    BuildContext const mlp_ctx = ctx.child(s + "_mlp");
    auto mlp = sequential(mlp_ctx);
    mlp->append(mlp_in.build(mlp_ctx.child("0"), {{"in_features", h}, {"out_features", m}}));
    mlp->append(activation(Activation::Kind::gelu_tanh).build(mlp_ctx.child("1")));
    mlp->append(mlp_out.build(mlp_ctx.child("2"), {{"in_features", m}, {"out_features", h}}));
    add_child(s + "_mlp", std::move(mlp));
  };
  stream("img", config.img_mod, config.img_attn, config.img_mlp_in, config.img_mlp_out);
  stream("txt", config.txt_mod, config.txt_attn, config.txt_mlp_in, config.txt_mlp_out);
}

// ---- SingleStreamBlock ----------------------------------------------------------------

std::unique_ptr<SingleStreamBlock> SingleStreamBlock::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<SingleStreamBlock>(new SingleStreamBlock(*this, ctx, args));
}

SingleStreamBlock::SingleStreamBlock(Config const& config, BuildContext const& ctx, BuildArgs& args)
    : Module(config, ctx) {
  std::string const where = "SingleStreamBlock.Config (" + fqn() + ")";
  std::int64_t const h = args.take("hidden_size", std::nullopt, where);
  std::int64_t const heads = args.take("num_heads", std::nullopt, where);
  std::int64_t const m = args.take("mlp_hidden_dim", std::nullopt, where);
  args.expect_all_taken(where);
  require(heads > 0 && h % heads == 0,
          where + ": num_heads = " + std::to_string(heads) + " does not divide hidden_size = " + std::to_string(h));
  require(!config.modulation.is_double, where + ": modulation must be a single modulation");
  add_child("linear1", config.linear1.build(ctx.child("linear1"), {{"in_features", h}, {"out_features", 3 * h + m}}));
  add_child("linear2", config.linear2.build(ctx.child("linear2"), {{"in_features", h + m}, {"out_features", h}}));
  add_child("norm", config.norm.build(ctx.child("norm"), {{"head_dim", h / heads}}));
  add_child("pre_norm", config.pre_norm.build(ctx.child("pre_norm"), {{"normalized_shape", h}}));
  add_child("mlp_act", activation(Activation::Kind::gelu_tanh).build(ctx.child("mlp_act")));
  add_child("modulation", config.modulation.build(ctx.child("modulation"), {{"dim", h}}));
}

// ---- LastLayer -------------------------------------------------------------------------

std::unique_ptr<LastLayer> LastLayer::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<LastLayer>(new LastLayer(*this, ctx, args));
}

LastLayer::LastLayer(Config const& config, BuildContext const& ctx, BuildArgs& args) : Module(config, ctx) {
  std::string const where = "LastLayer.Config (" + fqn() + ")";
  std::int64_t const h = args.take("hidden_size", std::nullopt, where);
  std::int64_t const p = args.take("patch_size", std::nullopt, where);
  std::int64_t const out = args.take("out_channels", std::nullopt, where);
  args.expect_all_taken(where);
  add_child("norm_final", config.norm_final.build(ctx.child("norm_final"), {{"normalized_shape", h}}));
  add_child("linear", config.linear.build(ctx.child("linear"), {{"in_features", h}, {"out_features", p * p * out}}));
  BuildContext const ada_ctx = ctx.child("adaLN_modulation");
  auto ada = sequential(ada_ctx);
  ada->append(activation(Activation::Kind::silu).build(ada_ctx.child("0")));
  ada->append(config.adaln_linear.build(ada_ctx.child("1"), {{"in_features", h}, {"out_features", 2 * h}}));
  add_child("adaLN_modulation", std::move(ada));
}

}  // namespace titan::flux
