// The head layouts of multi-head latent attention (DeepSeek-V3) and their
// gradients. RoPE here is always the complex rotation of adjacent pairs
// (x[2j], x[2j+1]) (torchtitan's ComplexRoPE) over the last `rope` features.
#pragma once

#include "titan/compute/compute_types.hpp"

namespace titan {

//! q [N, H*(nope+rope)] -> qh [B, H, T, nope+rope]: the nope features copied,
//! the rope features rotated by the token's position.
void mla_q_to_heads(FMat q, std::int64_t nope, std::int64_t rope, std::int64_t T, FreqsView freqs, F4 qh);
//! Its gradient: dq [N, H*(nope+rope)] (overwritten) from dqh.
void mla_q_from_heads_grad(F4 dqh, std::int64_t nope, std::int64_t T, FreqsView freqs, FMat dq);

//! kv [N, H*(nope+v)] and kv_a [N, kv_lora+rope] -> kh [B, H, T, nope+rope]
//! (the head's k_nope, then the token's one rotated k_pe = kv_a's last
//! columns, the same for every head) and vh [B, H, T, v].
void mla_kv_to_heads(FMat kv, FMat kv_a, std::int64_t kv_lora, std::int64_t nope, std::int64_t T, FreqsView freqs,
                     F4 kh, F4 vh);
//! Its gradient: dkv [N, H*(nope+v)] and dk_pe [N, rope] (the k_pe columns
//! of kv_a, summed over the heads, rotated back), both overwritten.
void mla_kv_from_heads_grad(F4 dkh, F4 dvh, std::int64_t nope, std::int64_t T, FreqsView freqs, FMat dkv, FMat dk_pe);

}  // namespace titan
