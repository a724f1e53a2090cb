#include "titan/modules/rms_norm.hpp"

#include "titan/core/errors.hpp"

#include <cmath>

namespace titan {

std::unique_ptr<RMSNorm> RMSNorm::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<RMSNorm>(new RMSNorm(*this, ctx, args));
}

std::unique_ptr<Module> RMSNorm::Config::build_part(BuildContext const& ctx, std::int64_t dim) const {
  return build(ctx, {{"normalized_shape", dim}});
}

RMSNorm::RMSNorm(Config const& config, BuildContext const& ctx, BuildArgs& args)
    : Module(config, ctx), _eps(config.eps) {
  std::string const where = "RMSNorm.Config (" + fqn() + ")";
  std::int64_t const n = args.take("normalized_shape", config.normalized_shape, where);
  args.expect_all_taken(where);
  require(std::isfinite(_eps) && _eps > 0, where + ": eps must be > 0 (got " + std::to_string(_eps) + ")");
  _weight = add_parameter("weight", {n});
}

}  // namespace titan
