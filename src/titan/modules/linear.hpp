// Linear: y = x W^T (+ b); W is [out_features, in_features], b [out_features].
#pragma once

#include "titan/compute/layer.hpp"
#include "titan/modules/module.hpp"

#include <optional>

namespace titan {

class Linear final : public Module, public Layer {
 public:
  struct Config : ModuleConfig {
    std::optional<std::int64_t> in_features;   // usually passed by the parent
    std::optional<std::int64_t> out_features;  // usually passed by the parent
    bool bias = false;                         // torchtitan's default
    std::unique_ptr<Linear> build(BuildContext const& ctx, BuildArgs args = {}) const;
  };

  char const* type_name() const override { return "Linear"; }
  std::int64_t in_features() const { return _in; }
  std::int64_t out_features() const { return _out; }
  ParameterPtr const& weight() const { return _weight; }
  ParameterPtr const& bias() const { return _bias; }  // null when the Config has bias = false

  //! y = x W^T (+ b), W gathered with its group.
  Act forward(StepContext& ctx, Act const& x) override;
  Act backward(StepContext& ctx, Act const& dy) override;
  ActivationBytes activation_bytes(std::int64_t n_seq, std::int64_t T) const override;
  LayerFlops flops(std::int64_t n_seq, std::int64_t T) const override;
  //! dx = beta dx + dy W, and W's (and b's) gradient: for the modules whose
  //! Linears share one input (q, k, v; w1, w3).
  void backward_into(StepContext& ctx, Act const& dy, FMat dx, float beta);
  //! The output head: y [N, out] = x W^T with W gathered in chunks of
  //! `chunk_rows` rows (out is the vocabulary: W is too large to gather whole).
  //! Whether this step computes it as a tp-split column- (Shard(0) on tp) or row-parallel (Shard(1)) linear.
  bool column_parallel(StepContext const& ctx) const;
  bool row_parallel(StepContext const& ctx) const;
  Act forward_chunked(StepContext& ctx, Act const& x, std::int64_t chunk_rows);
  Act backward_chunked(StepContext& ctx, Act const& dy, std::int64_t chunk_rows);

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  Linear(Config const& config, BuildContext const& ctx, BuildArgs& args);
  std::int64_t _in = 0, _out = 0;
  ParameterPtr _weight;  // [out_features, in_features]
  ParameterPtr _bias;    // [out_features]
  Act _x;                // the input, kept for backward
};

}  // namespace titan
