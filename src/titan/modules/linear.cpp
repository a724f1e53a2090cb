#include "titan/modules/linear.hpp"

namespace titan {

std::unique_ptr<Linear> Linear::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<Linear>(new Linear(*this, ctx, args));
}

Linear::Linear(Config const& config, BuildContext const& ctx, BuildArgs& args) : Module(config, ctx) {
  std::string const where = "Linear.Config (" + fqn() + ")";
  _in = args.take("in_features", config.in_features, where);
  _out = args.take("out_features", config.out_features, where);
  args.expect_all_taken(where);
  _weight = add_parameter("weight", {_out, _in});
  if (config.bias) _bias = add_parameter("bias", {_out});
}

}  // namespace titan
