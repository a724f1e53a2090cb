// The token batch of the forward pass: read from a safetensors file or
// generated from the counter RNG (host-only).
#pragma once

#include "titan/forward/forward_settings.hpp"

#include <cstdint>
#include <vector>

namespace titan {

struct ForwardTokens {
  std::int64_t batch = 0, seq_len = 0;  // B, T
  std::vector<std::int64_t> ids;        // [B, T] row-major
  std::string source;                   // "philox(seed=S)" or the file
};

//! Name of the Philox key of generated tokens: key = philox_key(tokens_seed, this).
inline char const* forward_tokens_key_name() { return "forward.tokens"; }

//! Token (b, t) = philox_word(philox_key(tokens_seed, "forward.tokens"), b*T + t) mod V,
//! or the file's I64 [B, T] tensor 'tokens'. Throws InputError when T exceeds
//! the model's max_seq_len, or the file is missing, has another dtype or rank,
//! fewer than 2 positions, or an id outside [0, V).
ForwardTokens make_forward_tokens(ForwardSettings const& settings, std::int64_t vocab_size, std::int64_t max_seq_len);

}  // namespace titan
