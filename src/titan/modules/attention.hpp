// Grouped-query attention: wq [Hq*hd, D], wk/wv [Hkv*hd, D], wo [D, Hq*hd]
// (biases if their Linear configs ask), then optional per-head q_norm and
// k_norm RMSNorm(hd) (Qwen3), registered in that order, then an optional
// own parameter `sinks` [Hq] (GPT-OSS's learnable per-head attention sinks).
// hd may be set explicitly (Hq*hd may differ from D). The RoPE table is one buffer of the
// whole model (the Decoder's freqs_cis); use_rope = false marks a NoPE layer.
#pragma once

#include "titan/modules/block_part.hpp"
#include "titan/modules/linear.hpp"
#include "titan/modules/rms_norm.hpp"

#include <optional>

namespace titan {

class Attention final : public Module, public Layer {
 public:
  struct Config : ModuleConfig, BlockPart {
    std::int64_t n_heads = 0;
    std::optional<std::int64_t> n_kv_heads;  // unset = n_heads
    std::optional<std::int64_t> head_dim;    // unset = dim / n_heads
    Linear::Config wq, wk, wv, wo;           // dims filled at build
    //! Per-head norms over hd (both present or both absent; normalized_shape = hd at build).
    std::optional<RMSNorm::Config> q_norm, k_norm;
    bool use_rope = true;  // false: a NoPE layer (stored for the forward pass)
    //! GPT-OSS: a learnable per-head sink logit, own parameter `sinks` [Hq]
    //! (its initializer and placements under the key "sinks").
    bool sinks = false;
    //! Sliding-window attention over this many positions (0 = full causal);
    //! stored for the forward pass (GPT-OSS: 128 on even layers).
    std::int64_t sliding_window = 0;
    //! Causal attention within chunks of this many positions (0 = off):
    //! Llama4's RoPE layers (torchtitan's fixed_attn_block_size).
    std::int64_t chunk_size = 0;
    //! The softmax scale; unset = head_dim^-0.5 (gpt-oss folds YaRN's mscale^2 in).
    std::optional<double> softmax_scale;
    //! Build argument: dim (the model width).
    std::unique_ptr<Attention> build(BuildContext const& ctx, BuildArgs args) const;
    //! hd for a model of width `dim`; throws InputError if n_heads does not divide dim.
    std::int64_t resolved_head_dim(std::int64_t dim, std::string const& where) const;
    std::unique_ptr<Module> build_part(BuildContext const& ctx, std::int64_t dim) const override;
  };

  char const* type_name() const override { return "Attention"; }
  std::int64_t n_heads() const { return _n_heads; }
  std::int64_t n_kv_heads() const { return _n_kv_heads; }
  std::int64_t head_dim() const { return _head_dim; }
  bool use_rope() const { return _use_rope; }
  bool has_qk_norm() const { return _qk_norm; }
  ParameterPtr const& sinks() const { return _sinks; }  // null unless the Config asks for sinks
  Linear const* wq() const { return _wq; }
  Linear const* wk() const { return _wk; }
  Linear const* wv() const { return _wv; }
  Linear const* wo() const { return _wo; }
  std::int64_t sliding_window() const { return _sliding_window; }
  std::int64_t chunk_size() const { return _chunk_size; }
  double softmax_scale() const { return _softmax_scale; }

  //! y = wo(attention(rope(q), rope(k), v)) with q, k, v = wq x, wk x, wv x
  //! (+ biases, q/k norms per head); the RoPE table and style from the context.
  Act forward(StepContext& ctx, Act const& x) override;
  Act backward(StepContext& ctx, Act const& dy) override;
  ActivationBytes activation_bytes(std::int64_t n_seq, std::int64_t T) const override;
  LayerFlops flops(std::int64_t n_seq, std::int64_t T) const override;

 protected:
  void init_own_buffers(InitContext&) override {}  // RoPE lives in the Decoder

 private:
  Attention(Config const& config, BuildContext const& ctx, BuildArgs& args);
  std::int64_t _n_heads = 0, _n_kv_heads = 0, _head_dim = 0;
  bool _use_rope = true, _qk_norm = false;
  std::int64_t _sliding_window = 0, _chunk_size = 0;
  double _softmax_scale = 0;
  ParameterPtr _sinks;  // [Hq] when the Config asks for sinks
  Linear *_wq = nullptr, *_wk = nullptr, *_wv = nullptr, *_wo = nullptr;
  RMSNorm *_q_norm = nullptr, *_k_norm = nullptr;
  Act4 _qh, _kh, _vh;     // heads after RoPE, kept for backward
};

}  // namespace titan
