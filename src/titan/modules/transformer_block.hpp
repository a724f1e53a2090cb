// One decoder layer: a list of named parts (attention, feed_forward or moe,
// attention_norm, ffn_norm...) in the family's registration order, which is
// also the init order. Each part is built with the model width.
#pragma once

#include "titan/compute/layer.hpp"
#include "titan/core/errors.hpp"
#include "titan/modules/block_part.hpp"
#include "titan/modules/module.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace titan {

class TransformerBlock final : public Module, public Layer {
 public:
  struct Config : ModuleConfig {
    //! (child name, its config), in registration order.
    std::vector<std::pair<std::string, std::shared_ptr<BlockPart const>>> parts;
    //! Appends a part named `name`.
    template <class C>
    void add(std::string const& name, C config) {
      parts.emplace_back(name, std::make_shared<C const>(std::move(config)));
    }
    //! The config of part `name` as its type; throws InputError if absent or of another type.
    template <class C>
    C const& part(std::string const& name) const {
      for (auto const& [n, p] : parts)
        if (n == name)
          if (auto const* c = dynamic_cast<C const*>(p.get())) return *c;
      throw InputError("TransformerBlock.Config: no part '" + name + "' of the requested type");
    }
    bool has(std::string const& name) const {
      for (auto const& p : parts)
        if (p.first == name) return true;
      return false;
    }
    //! Build argument: dim.
    std::unique_ptr<TransformerBlock> build(BuildContext const& ctx, BuildArgs args) const;
  };

  char const* type_name() const override { return "TransformerBlock"; }
  //! The built part `name` as its module type; throws InputError if absent or of another type.
  template <class M>
  M const& part(std::string const& name) const {
    for (auto const& [n, m] : children())
      if (n == name)
        if (auto const* p = dynamic_cast<M const*>(m)) return *p;
    throw InputError("TransformerBlock '" + fqn() + "': no part '" + name + "' of the requested type");
  }

  //! torchtitan's pre-norm block: h = x + attention(attention_norm(x)),
  //! out = h + ffn(ffn_norm(h)), the FFN being the part named feed_forward or moe.
  Act forward(StepContext& ctx, Act const& x) override;
  Act backward(StepContext& ctx, Act const& dy) override;
  ActivationBytes activation_bytes(std::int64_t n_seq, std::int64_t T) const override;
  LayerFlops flops(std::int64_t n_seq, std::int64_t T) const override;
  //! True when the block has the four parts forward() runs.
  bool computes() const { return _attention && _attention_norm && _ffn && _ffn_norm; }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  TransformerBlock(Config const& config, BuildContext const& ctx, BuildArgs& args);
  Layer *_attention = nullptr, *_attention_norm = nullptr, *_ffn = nullptr, *_ffn_norm = nullptr;
  std::int64_t _dim = 0;
};

}  // namespace titan
