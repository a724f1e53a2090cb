// Chunked causal attention (Llama4's RoPE layers: torchtitan's FlexAttention
// with the causal and fixed-block masks, get_fixed_block_mask_mod): the
// query at position t attends to the keys at s <= t with s / chunk == t / chunk.
#pragma once

#include "titan/forward/kernels.hpp"

namespace titan {

//! As causal_attention (q [Bl, Hq, T, hd], k/v [Bl, Hkv, T, hd] -> out
//! [Bl*T, Hq*hd], GQA, softmax scale `scale`), each sequence cut into chunks
//! of `chunk` positions (the last may be shorter) that do not see each other.
//! chunk <= 0 or chunk >= T is plain causal attention (causal_attention
//! itself). Only the diagonal chunk x chunk blocks are computed (and counted).
void attention_with_chunks(F4 q, F4 k, F4 v, float scale, std::int64_t chunk, FMat scores, F4 heads_out, FMat out,
                           FlopCounter& fc);

}  // namespace titan
