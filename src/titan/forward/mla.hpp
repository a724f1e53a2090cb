// DeepSeek's multi-head latent attention (MLA) on gathered float32 weights,
// torchtitan's deepseek_v3 Attention.forward (docs/forward.md, Maths):
//   q  = wq x, or wq_b(RMSNorm_q_norm(wq_a x))          [N, H*(nope+rope)]
//   kv = wkv_a x = [c_kv (kv_lora) | k_pe (rope)]        [N, kv_lora+rope]
//   k_nope, v = per head split of wkv_b(RMSNorm_kv_norm(c_kv))
//   q_pe, k_pe rotated by the model's RoPE table (complex adjacent pairs,
//   width rope); k_pe is one per token, shared by every head;
//   q = [q_nope | q_pe], k = [k_nope | k_pe]: causal softmax(scale q.k) v;
//   y = wo(heads concatenated) [N, D].
#pragma once

#include "titan/forward/kernels.hpp"
#include "titan/parallel/placement.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace titan {

//! Views of one layer's MLA weights (wq or wq_a/q_norm/wq_b).
struct MLAWeights {
  FMat wq, wq_a, wq_b;  // [H*qk, D] | [q_lora, D], [H*qk, q_lora]
  FVec q_norm;          // [q_lora]
  FMat wkv_a;           // [kv_lora + rope, D]
  FVec kv_norm;         // [kv_lora]
  FMat wkv_b, wo;       // [H*(nope+v), kv_lora], [D, H*v]
};

//! MLA's activations for Bl sequences of T tokens (empty for other models).
struct MLAActivations {
  Kokkos::View<float**, Layout, MemSpace> cq, q, kv_a, ckv, kv, attn;
  Kokkos::View<float****, Layout, MemSpace> qh, kh, vh, oh;
  MLAActivations() = default;
  MLAActivations(DecoderSpec const& spec, std::int64_t n_seq, std::int64_t T);
  std::int64_t bytes() const;
};

//! The FQNs and shapes of a layer's MLA weights (for the gather and the checks).
std::vector<std::pair<std::string, Shape>> mla_layer_weights(DecoderSpec const& spec, LayerSpec const& layer);
//! Views of the gathered weights, `at` mapping each FQN to its float32 data.
MLAWeights mla_block_weights(DecoderSpec const& spec, LayerSpec const& layer,
                             std::map<std::string, float*> const& at);
//! y [Bl*T, D] = MLA(xn); `scores` [T, T] is scratch.
void mla_attention(DecoderSpec const& spec, MLAWeights const& w, FreqsView freqs, MLAActivations& a, std::int64_t T,
                   FMat xn, FMat scores, FMat y, FlopCounter& fc);

}  // namespace titan
