// Grouped-query attention: wq [Hq*hd, D], wk/wv [Hkv*hd, D], wo [D, Hq*hd].
// The RoPE table is one buffer of the whole model (the Decoder's freqs_cis).
#pragma once

#include "titan/modules/linear.hpp"

#include <optional>

namespace titan {

class Attention final : public Module {
 public:
  struct Config : ModuleConfig {
    std::int64_t n_heads = 0;
    std::optional<std::int64_t> n_kv_heads;  // unset = n_heads
    std::optional<std::int64_t> head_dim;    // unset = dim / n_heads
    Linear::Config wq, wk, wv, wo;           // dims filled at build
    //! Build argument: dim (the model width).
    std::unique_ptr<Attention> build(BuildContext const& ctx, BuildArgs args) const;
    //! hd for a model of width `dim`; throws InputError if n_heads does not divide dim.
    std::int64_t resolved_head_dim(std::int64_t dim, std::string const& where) const;
  };

  char const* type_name() const override { return "Attention"; }
  std::int64_t n_heads() const { return _n_heads; }
  std::int64_t n_kv_heads() const { return _n_kv_heads; }
  std::int64_t head_dim() const { return _head_dim; }

 protected:
  void init_own_buffers(InitContext&) override {}  // RoPE lives in the Decoder

 private:
  Attention(Config const& config, BuildContext const& ctx, BuildArgs& args);
  std::int64_t _n_heads = 0, _n_kv_heads = 0, _head_dim = 0;
};

}  // namespace titan
