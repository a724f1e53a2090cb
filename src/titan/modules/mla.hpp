// Multi-head latent attention (DeepSeek-V2/V3, spec 4.4), children in
// torchtitan's registration order (= init order):
//   q_lora_rank == 0: wq [H*(nope+rope), D]
//   q_lora_rank  > 0: wq_a [q_lora, D], q_norm [q_lora], wq_b [H*(nope+rope), q_lora]
//   then wkv_a [kv_lora+rope, D], kv_norm [kv_lora], wkv_b [H*(nope+v), kv_lora],
//   wo [D, H*v].
// The RoPE table is the model's one freqs_cis (rotary width qk_rope_head_dim);
// the YaRN "mscale" is folded into the stored softmax scale, never into the table.
#pragma once

#include "titan/modules/block_part.hpp"
#include "titan/modules/linear.hpp"
#include "titan/modules/rms_norm.hpp"

namespace titan {

class MLAttention final : public Module, public Layer {
 public:
  struct Config : ModuleConfig, BlockPart {
    std::int64_t n_heads = 0;           // H
    std::int64_t q_lora_rank = 0;       // 0 = wq directly, no low-rank q
    std::int64_t kv_lora_rank = 512;
    std::int64_t qk_nope_head_dim = 128;
    std::int64_t qk_rope_head_dim = 64;
    std::int64_t v_head_dim = 128;
    //! Softmax scale = (nope + rope)^-0.5 * m^2 with m = 0.1 mscale ln(rope_factor) + 1
    //! when the model's RoPE uses YaRN with rope_factor > 1 (else m = 1).
    double mscale = 1.0;
    double yarn_rope_factor = 1.0;      // the model's YaRN rope_factor; 1 = no YaRN
    //! Sub-configs; their dims are filled at build. wq is used when
    //! q_lora_rank == 0, wq_a/q_norm/wq_b otherwise.
    Linear::Config wq, wq_a, wq_b, wkv_a, wkv_b, wo;
    RMSNorm::Config q_norm, kv_norm;
    //! Build argument: dim (the model width).
    std::unique_ptr<MLAttention> build(BuildContext const& ctx, BuildArgs args) const;
    std::unique_ptr<Module> build_part(BuildContext const& ctx, std::int64_t dim) const override;
    //! The softmax scale the forward pass uses (torchtitan stores it at construction).
    double softmax_scale() const;
  };

  char const* type_name() const override { return "MLAttention"; }
  std::int64_t n_heads() const { return _n_heads; }
  std::int64_t q_lora_rank() const { return _q_lora_rank; }
  std::int64_t qk_head_dim() const { return _qk_head_dim; }
  double softmax_scale() const { return _softmax_scale; }
  Linear const* wq() const { return _wq; }  // null with the low-rank q path
  Linear const* wq_b() const { return _wq_b; }  // null without it
  Linear const* wkv_b() const { return _wkv_b; }
  Linear const* wo() const { return _wo; }
  std::int64_t rope_head_dim() const { return _rope; }

  //! torchtitan's deepseek_v3 Attention.forward (docs/forward.md): q (direct
  //! or low-rank with its norm), the compressed kv with its norm, one rotated
  //! k_pe per token shared by the heads, causal attention, wo.
  Act forward(StepContext& ctx, Act const& x) override;
  Act backward(StepContext& ctx, Act const& dy) override;
  ActivationBytes activation_bytes(std::int64_t n_seq, std::int64_t T) const override;
  LayerFlops flops(std::int64_t n_seq, std::int64_t T) const override;

 protected:
  void init_own_buffers(InitContext&) override {}  // RoPE lives in the Decoder

 private:
  MLAttention(Config const& config, BuildContext const& ctx, BuildArgs& args);
  std::int64_t _n_heads = 0, _q_lora_rank = 0, _qk_head_dim = 0;
  std::int64_t _nope = 0, _rope = 0, _v_head_dim = 0, _kv_lora_rank = 0;
  double _softmax_scale = 0;
  Linear *_wq = nullptr, *_wq_a = nullptr, *_wq_b = nullptr, *_wkv_a = nullptr, *_wkv_b = nullptr, *_wo = nullptr;
  RMSNorm *_q_norm = nullptr, *_kv_norm = nullptr;
  Act4 _qh, _kh, _vh;  // heads, kept for backward
};

}  // namespace titan
