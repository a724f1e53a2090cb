#include "titan/modules/layer_norm.hpp"

#include "titan/core/errors.hpp"

#include <cmath>

namespace titan {

std::unique_ptr<LayerNorm> LayerNorm::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<LayerNorm>(new LayerNorm(*this, ctx, args));
}

LayerNorm::LayerNorm(Config const& config, BuildContext const& ctx, BuildArgs& args)
    : Module(config, ctx), _eps(config.eps) {
  std::string const where = "LayerNorm.Config (" + fqn() + ")";
  _n = args.take("normalized_shape", config.normalized_shape, where);
  args.expect_all_taken(where);
  require(_n > 0, where + ": normalized_shape must be > 0 (got " + std::to_string(_n) + ")");
  require(std::isfinite(_eps) && _eps > 0, where + ": eps must be > 0 (got " + std::to_string(_eps) + ")");
  if (config.elementwise_affine) {
    _weight = add_parameter("weight", {_n});
    _bias = add_parameter("bias", {_n});
  }
}

}  // namespace titan
