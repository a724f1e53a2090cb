// SwiGLU feed-forward: w1 [F, D], w2 [D, F], w3 [F, D]; out = w2(silu(w1 x) * w3 x).
#pragma once

#include "titan/modules/block_part.hpp"
#include "titan/modules/ffn_hidden_dim.hpp"
#include "titan/modules/linear.hpp"

#include <optional>

namespace titan {

class FeedForward final : public Module, public Layer {
 public:
  struct Config : ModuleConfig, BlockPart {
    std::optional<std::int64_t> hidden_dim;   // set = use as is; unset = Llama's rule below
    std::int64_t multiple_of = 256;
    std::optional<double> ffn_dim_multiplier;
    Linear::Config w1, w2, w3;
    //! Build argument: dim.
    std::unique_ptr<FeedForward> build(BuildContext const& ctx, BuildArgs args) const;
    std::int64_t resolved_hidden_dim(std::int64_t dim) const;
    std::unique_ptr<Module> build_part(BuildContext const& ctx, std::int64_t dim) const override;
  };

  char const* type_name() const override { return "FeedForward"; }
  std::int64_t hidden_dim() const { return _hidden; }
  Linear const* w1() const { return _w1; }
  Linear const* w2() const { return _w2; }
  Linear const* w3() const { return _w3; }

  //! out = w2(silu(w1 x) * w3 x).
  Act forward(StepContext& ctx, Act const& x) override;
  Act backward(StepContext& ctx, Act const& dy) override;
  ActivationBytes activation_bytes(std::int64_t n_seq, std::int64_t T) const override;
  LayerFlops flops(std::int64_t n_seq, std::int64_t T) const override;

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  FeedForward(Config const& config, BuildContext const& ctx, BuildArgs& args);
  std::int64_t _hidden = 0;
  Linear *_w1 = nullptr, *_w2 = nullptr, *_w3 = nullptr;
  Act _h1, _h3;  // the pre-activations, kept for backward
};

}  // namespace titan
