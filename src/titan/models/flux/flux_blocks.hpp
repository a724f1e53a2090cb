// Flux's building blocks (model_families.md 4.6; torchtitan
// torchtitan/models/flux/model/layers.py): EmbedND, MLPEmbedder, QKNorm,
// SelfAttention, Modulation, DoubleStreamBlock, SingleStreamBlock, LastLayer.
// Children are registered in torchtitan's order (= init and report order);
// the stateless inner_attention modules are left out (no parameters, no
// buffers). Sizes the parent decides come as build arguments.
#pragma once

#include "titan/modules/activation.hpp"
#include "titan/modules/layer_norm.hpp"
#include "titan/modules/linear.hpp"
#include "titan/modules/rms_norm.hpp"

#include <vector>

namespace titan::flux {

//! N-axis RoPE computed on the fly from position ids: no parameters and no
//! buffers. Build argument: dim (= head_dim), which the axes must cover.
class EmbedND final : public Module {
 public:
  struct Config : ModuleConfig {
    double theta = 10000.0;
    std::vector<std::int64_t> axes_dim = {16, 56, 56};
    std::unique_ptr<EmbedND> build(BuildContext const& ctx, BuildArgs args) const;
  };
  char const* type_name() const override { return "EmbedND"; }
  std::int64_t dim() const { return _dim; }
  double theta() const { return _theta; }
  std::vector<std::int64_t> const& axes_dim() const { return _axes_dim; }

 protected:
  void init_own_buffers(InitContext&) override {}  // none: computed in the forward

 private:
  EmbedND(Config const& config, BuildContext const& ctx, BuildArgs& args);
  std::int64_t _dim = 0;
  double _theta;
  std::vector<std::int64_t> _axes_dim;
};

//! in_layer [hidden, in_dim], silu, out_layer [hidden, hidden].
//! Build arguments: in_dim, hidden_dim.
class MLPEmbedder final : public Module {
 public:
  struct Config : ModuleConfig {
    Linear::Config in_layer, out_layer;
    std::unique_ptr<MLPEmbedder> build(BuildContext const& ctx, BuildArgs args) const;
  };
  char const* type_name() const override { return "MLPEmbedder"; }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  MLPEmbedder(Config const& config, BuildContext const& ctx, BuildArgs& args);
};

//! query_norm, key_norm: RMSNorm over head_dim. Build argument: head_dim.
class QKNorm final : public Module {
 public:
  struct Config : ModuleConfig {
    RMSNorm::Config query_norm, key_norm;
    std::unique_ptr<QKNorm> build(BuildContext const& ctx, BuildArgs args) const;
  };
  char const* type_name() const override { return "QKNorm"; }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  QKNorm(Config const& config, BuildContext const& ctx, BuildArgs& args);
};

//! qkv [3 dim, dim] (rows = (K=3, heads, head_dim)), norm (QKNorm), proj
//! [dim, dim]. Build arguments: dim, num_heads.
class SelfAttention final : public Module {
 public:
  struct Config : ModuleConfig {
    Linear::Config qkv, proj;
    QKNorm::Config norm;
    std::unique_ptr<SelfAttention> build(BuildContext const& ctx, BuildArgs args) const;
  };
  char const* type_name() const override { return "SelfAttention"; }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  SelfAttention(Config const& config, BuildContext const& ctx, BuildArgs& args);
};

//! lin [m dim, dim] with m = 6 (double: shift, scale, gate twice) or 3
//! (single). Build argument: dim.
class Modulation final : public Module {
 public:
  struct Config : ModuleConfig {
    bool is_double = true;
    Linear::Config lin;
    std::unique_ptr<Modulation> build(BuildContext const& ctx, BuildArgs args) const;
  };
  char const* type_name() const override { return "Modulation"; }
  int multiplier() const { return _multiplier; }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  Modulation(Config const& config, BuildContext const& ctx, BuildArgs& args);
  int _multiplier;
};

//! Image and text streams with joint attention: img_mod, img_norm1,
//! img_attn, img_norm2, img_mlp (0 Linear [m, h], 1 GELU(tanh), 2 Linear
//! [h, m]), then the txt_* twins. Build arguments: hidden_size, num_heads,
//! mlp_hidden_dim.
class DoubleStreamBlock final : public Module {
 public:
  struct Config : ModuleConfig {
    Modulation::Config img_mod, txt_mod;  // is_double = true
    SelfAttention::Config img_attn, txt_attn;
    Linear::Config img_mlp_in, img_mlp_out, txt_mlp_in, txt_mlp_out;  // img_mlp.0 / .2, txt_mlp.0 / .2
    LayerNorm::Config norm;  // img/txt norm1/norm2 (no affine, eps 1e-6)
    std::unique_ptr<DoubleStreamBlock> build(BuildContext const& ctx, BuildArgs args) const;
  };
  char const* type_name() const override { return "DoubleStreamBlock"; }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  DoubleStreamBlock(Config const& config, BuildContext const& ctx, BuildArgs& args);
};

//! One stream, attention and MLP in parallel: linear1 [3h + m, h] (rows =
//! [qkv | mlp]), linear2 [h, h + m] (columns = [attn | mlp]), norm (QKNorm),
//! pre_norm, mlp_act, modulation (3 chunks). Build arguments: hidden_size,
//! num_heads, mlp_hidden_dim.
class SingleStreamBlock final : public Module {
 public:
  struct Config : ModuleConfig {
    Linear::Config linear1, linear2;
    QKNorm::Config norm;
    LayerNorm::Config pre_norm;  // no affine, eps 1e-6
    Modulation::Config modulation;  // is_double = false
    std::unique_ptr<SingleStreamBlock> build(BuildContext const& ctx, BuildArgs args) const;
  };
  char const* type_name() const override { return "SingleStreamBlock"; }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  SingleStreamBlock(Config const& config, BuildContext const& ctx, BuildArgs& args);
};

//! norm_final, linear [patch^2 out_channels, h], adaLN_modulation (0 SiLU,
//! 1 Linear [2h, h]). Build arguments: hidden_size, patch_size, out_channels.
class LastLayer final : public Module {
 public:
  struct Config : ModuleConfig {
    LayerNorm::Config norm_final;  // no affine, eps 1e-6
    Linear::Config linear, adaln_linear;  // adaln_linear = adaLN_modulation.1
    std::unique_ptr<LastLayer> build(BuildContext const& ctx, BuildArgs args) const;
  };
  char const* type_name() const override { return "LastLayer"; }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  LastLayer(Config const& config, BuildContext const& ctx, BuildArgs& args);
};

}  // namespace titan::flux
