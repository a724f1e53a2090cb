// RMSNorm: y = x / sqrt(mean(x^2) + eps) * weight; weight [normalized_shape].
#pragma once

#include "titan/compute/layer.hpp"
#include "titan/modules/block_part.hpp"
#include "titan/modules/module.hpp"

#include <optional>

namespace titan {

class RMSNorm final : public Module, public Layer {
 public:
  struct Config : ModuleConfig, BlockPart {
    std::optional<std::int64_t> normalized_shape;  // usually passed by the parent
    double eps = 1e-5;
    std::unique_ptr<RMSNorm> build(BuildContext const& ctx, BuildArgs args = {}) const;
    //! As a block part: normalized_shape = dim.
    std::unique_ptr<Module> build_part(BuildContext const& ctx, std::int64_t dim) const override;
  };

  char const* type_name() const override { return "RMSNorm"; }
  double eps() const { return _eps; }
  ParameterPtr const& weight() const { return _weight; }

  //! Normalizes each group of normalized_shape consecutive features of x
  //! [N, G * normalized_shape] (G = 1 for the model width; the heads for q/k norms).
  Act forward(StepContext& ctx, Act const& x) override;
  Act backward(StepContext& ctx, Act const& dy) override;
  ActivationBytes activation_bytes(std::int64_t n_seq, std::int64_t T) const override;
  LayerFlops flops(std::int64_t n_seq, std::int64_t T) const override;

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  RMSNorm(Config const& config, BuildContext const& ctx, BuildArgs& args);
  double _eps;
  ParameterPtr _weight;  // [normalized_shape]
  Act _x;                // the input, kept for backward
};

}  // namespace titan
