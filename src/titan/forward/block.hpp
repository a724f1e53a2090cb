// One transformer block's forward on gathered (full, float32) weights:
// h = x + attn(RMSNorm(x)); out = h + FFN(RMSNorm(h)) (torchtitan's
// TransformerBlock), the FFN dense SwiGLU or a routed MoE.
#pragma once

#include "titan/forward/gpt_oss_moe.hpp"
#include "titan/forward/kernels.hpp"
#include "titan/forward/mla.hpp"

namespace titan {

struct BlockWeights {
  FVec attention_norm, ffn_norm;  // [D]
  FMat wq, wk, wv, wo;
  FVec q_norm, k_norm;            // [hd] (qk_norm only)
  FMat w1, w2, w3;                // dense FFN
  MoEWeights moe;                 // MoE FFN
  MLAWeights mla;                 // DecoderSpec::attention == mla (then wq..k_norm unused)
  FVec bq, bk, bv, bo;            // projection biases (gpt-oss; empty: none)
  FVec sinks;                     // [Hq] attention sinks (gpt-oss; empty: none)
  GptOssMoEWeights gpt_oss_moe;   // MoE FFN with ExpertKind::gpt_oss
};

//! The activations of Bl sequences of T tokens, reused by every block.
struct Activations {
  std::int64_t n_seq = 0, T = 0;
  Kokkos::View<float**, Layout, MemSpace> xn, q, k, v, attn, y, h1, h3, scores;
  Kokkos::View<float****, Layout, MemSpace> qh, kh, vh, oh;
  MLAActivations mla;  // MLA models only (their q/k/v/attn/qh..oh above are empty)
  Activations(DecoderSpec const& spec, std::int64_t n_seq, std::int64_t T);
  //! Bytes held by the views above.
  std::int64_t bytes() const;
};

//! x [Bl*T, D] in place: one block of `layer` (RoPE table `freqs`).
void block_forward(DecoderSpec const& spec, LayerSpec const& layer, BlockWeights const& w, FreqsView freqs,
                   Activations& a, FMat x, FlopCounter& fc);

}  // namespace titan
