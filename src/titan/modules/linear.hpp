// Linear: y = x W^T (+ b); W is [out_features, in_features], b [out_features].
#pragma once

#include "titan/modules/module.hpp"

#include <optional>

namespace titan {

class Linear final : public Module {
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

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  Linear(Config const& config, BuildContext const& ctx, BuildArgs& args);
  std::int64_t _in = 0, _out = 0;
  ParameterPtr _weight;  // [out_features, in_features]
  ParameterPtr _bias;    // [out_features]
};

}  // namespace titan
