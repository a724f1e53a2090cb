// A parameter-free activation as a module of the tree (torchtitan's GELU,
// SiLU wrappers), so that Sequential-style indices keep their meaning
// (Flux's img_mlp.1 is the GELU between img_mlp.0 and img_mlp.2).
#pragma once

#include "titan/modules/module.hpp"

namespace titan {

class Activation final : public Module {
 public:
  enum class Kind { gelu, gelu_tanh, silu };
  struct Config : ModuleConfig {
    Kind kind = Kind::gelu;
    std::unique_ptr<Activation> build(BuildContext const& ctx) const {
      return std::unique_ptr<Activation>(new Activation(*this, ctx));
    }
  };

  char const* type_name() const override { return _kind == Kind::silu ? "SiLU" : "GELU"; }
  Kind kind() const { return _kind; }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  Activation(Config const& config, BuildContext const& ctx) : Module(config, ctx), _kind(config.kind) {}
  Kind _kind;
};

}  // namespace titan
