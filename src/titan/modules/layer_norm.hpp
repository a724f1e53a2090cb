// LayerNorm: y = (x - mean(x)) / sqrt(var(x) + eps) (* weight + bias when
// elementwise_affine). Flux uses it without affine, so it has no parameters
// (model_families.md 3.1); with affine it owns weight and bias [normalized_shape].
#pragma once

#include "titan/modules/module.hpp"

#include <optional>

namespace titan {

class LayerNorm final : public Module {
 public:
  struct Config : ModuleConfig {
    std::optional<std::int64_t> normalized_shape;  // usually passed by the parent
    double eps = 1e-5;
    bool elementwise_affine = false;
    std::unique_ptr<LayerNorm> build(BuildContext const& ctx, BuildArgs args = {}) const;
  };

  char const* type_name() const override { return "LayerNorm"; }
  std::int64_t normalized_shape() const { return _n; }
  double eps() const { return _eps; }
  ParameterPtr const& weight() const { return _weight; }  // null without affine
  ParameterPtr const& bias() const { return _bias; }      // null without affine

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  LayerNorm(Config const& config, BuildContext const& ctx, BuildArgs& args);
  std::int64_t _n = 0;
  double _eps;
  ParameterPtr _weight, _bias;
};

}  // namespace titan
