// The forward pass's building blocks on Kokkos Views (float32, row-major):
// matrix products through Kokkos Kernels' gemm, everything else as Kokkos
// parallel kernels in the default execution space. No TOML, no strings in
// kernels. The maths follow torchtitan's forward (docs/forward.md).
#pragma once

#include "titan/core/types.hpp"
#include "titan/forward/decoder_spec.hpp"

#include <cstdint>

namespace titan {

template <class T>
using UView = Kokkos::View<T, Layout, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
using FVec = UView<float*>;
using FMat = UView<float**>;
using F3 = UView<float***>;
using F4 = UView<float****>;
using FreqsView = Kokkos::View<float***, Layout, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;  // [max_seq_len, hd/2, 2] (cos, sin)
using TokenView = Kokkos::View<std::int64_t*, Layout, MemSpace>;

//! Counts the floating-point operations of the products actually computed
//! (2 m n k per gemm; norms, softmax, RoPE and element-wise work not counted).
struct FlopCounter {
  double flops = 0;
};

//! y[N, out] = x[N, in] . w[out, in]^T (torch's Linear without bias).
void linear(FMat x, FMat w, FMat y, FlopCounter& fc);
//! c[M, N] = alpha a[M, K] . b^T (tb) or a . b (!tb).
void gemm(bool transpose_b, float alpha, FMat a, FMat b, float beta, FMat c, FlopCounter& fc);

//! y = x / sqrt(mean(x^2) + eps) * w, per row of x [N, D]; y may alias x.
void rms_norm(FMat x, FVec w, double eps, FMat y);
//! The same over each head's hd features: x [N, H*hd] in place (qk-norm).
void head_rms_norm(FMat x, std::int64_t heads, std::int64_t hd, FVec w, double eps);
//! Rotates x [Bl*T, H*hd] (row n = sequence n/T, position n%T) by the RoPE
//! table and writes it head-major to out [Bl, H, T, hd]; apply = false copies.
void rope_to_heads(FMat x, std::int64_t heads, std::int64_t hd, std::int64_t T, FreqsView freqs, RopeStyle style,
                   bool apply, F4 out);
//! Causal GQA attention, softmax scale `scale`: q [Bl, Hq, T, hd], k [Bl, Hkv, T, hd],
//! v [Bl, Hkv, T, hv] -> out [Bl*T, Hq*hv]; scores [T, T] and heads_out [Bl, Hq, T, hv]
//! are scratch (hv = hd but for MLA).
void causal_attention(F4 q, F4 k, F4 v, float scale, FMat scores, F4 heads_out, FMat out, FlopCounter& fc);
//! a = silu(a) * b (element-wise).
void silu_mul(FMat a, FMat b);
//! x += y.
void add_into(FMat x, FMat y);
//! out = w2(silu(w1 x) * w3 x); h1, h3 [N, F] scratch.
void swiglu(FMat x, FMat w1, FMat w2, FMat w3, FMat h1, FMat h3, FMat out, FlopCounter& fc);

//! Weights of a routed MoE layer (views of gathered full tensors).
struct MoEWeights {
  FMat gate;        // [E, D]
  F3 w1, w2, w3;    // [E, Fm, D], [E, D, Fm], [E, Fm, D]
  FVec expert_bias; // [E] or empty: added to the scores for choosing only
  FMat sw1, sw2, sw3;  // shared experts (empty if none)
};
//! out [N, D] = sum_k score_k expert_k(x) (+ shared(x)), torchtitan's
//! TokenChoiceTopKRouter + GroupedExperts semantics (docs/forward.md).
//! Returns nothing else; the routing is computed in float32.
void moe_forward(FMat x, MoEWeights const& w, MoESpec const& spec, FMat out, FlopCounter& fc);

//! The embedding rows of a vocabulary chunk: x[n, :] = w[tokens(n) - v0, :]
//! for every n whose token lies in [v0, v0 + w.extent(0)).
void embed_chunk(TokenView tokens, FMat w, std::int64_t v0, FMat x);
//! How many elements of x are NaN or infinite.
std::int64_t count_non_finite(FMat x);
//! dst[:, v0 : v0 + src.extent(1)] = src.
void copy_columns(FMat src, FMat dst, std::int64_t v0);
//! Sum over rows n with n % T != T-1 of logsumexp(logits[n]) - logits[n, tokens(n+1)]
//! (next-token cross-entropy, in double).
double cross_entropy_sum(FMat logits, TokenView tokens, std::int64_t T);
//! Wrapping sum of element_hash(first_index + i, bits of logits.data()[i]).
std::uint64_t logits_fingerprint(FMat logits, std::uint64_t first_index);

}  // namespace titan
