// What sits between token ids and the decoder's activations: the embedding
// lookup and its gradient, the output head's logits (assembled from
// vocabulary chunks), the next-token cross-entropy and its gradient, and the
// logits fingerprint.
#pragma once

#include "titan/compute/compute_types.hpp"

#include <cstdint>
#include <vector>

namespace titan {

//! x[n, :] = w[tokens(n) - v0, :] for every n whose token lies in [v0, v0 + w.extent(0)).
void embed_chunk(TokenView tokens, FMat w, std::int64_t v0, FMat x);

//! The positions of each distinct token, grouped by token id (increasing),
//! positions in order within a token: the embedding's gradient sums dx over
//! them in this fixed order, so it is the same bits on every run.
struct TokenGroups {
  std::vector<std::int64_t> ids_host;  // distinct token ids, increasing
  TokenView ids;                       // the same on the device [U]
  TokenView start;                     // [U + 1]: positions of ids[u] are pos[start[u] .. start[u+1])
  TokenView pos;                       // [N]
};
TokenGroups group_tokens(std::vector<std::int64_t> const& tokens);

//! dw[id - v0, :] += sum of dx[n, :] over the positions n of each token id in [v0, v0 + dw.extent(0)).
void embed_chunk_grad(TokenGroups const& g, FMat dx, std::int64_t v0, FMat dw);

//! How many elements of x are NaN or infinite.
std::int64_t count_non_finite(FMat x);

//! dst[:, v0 : v0 + src.extent(1)] = src.
void copy_columns(FMat src, FMat dst, std::int64_t v0);
//! dst = src[:, v0 : v0 + dst.extent(1)].
void slice_columns(FMat src, std::int64_t v0, FMat dst);

//! Sum over rows n with n % T != T-1 of logsumexp(logits[n]) - logits[n, tokens(n+1)]
//! (next-token cross-entropy, in double).
double cross_entropy_sum(FMat logits, TokenView tokens, std::int64_t T);
//! logits [N, V] <- d loss / d logits for loss = (sum of the predictions'
//! cross-entropy) * scale: (softmax(row) - onehot(next token)) * scale, and
//! 0 for the rows of the last position (they predict nothing).
void cross_entropy_grad(FMat logits, TokenView tokens, std::int64_t T, double scale);

//! Wrapping sum of element_hash(first_index + i, bits of logits.data()[i]).
std::uint64_t logits_fingerprint(FMat logits, std::uint64_t first_index);

}  // namespace titan
