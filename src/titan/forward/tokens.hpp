// The token batch of the forward pass: read from a safetensors file or
// generated from the counter RNG (host-only).
#pragma once

#include "titan/modules/model_config.hpp"
#include "titan/forward/forward_settings.hpp"

#include <mpi.h>

#include <cstdint>
#include <vector>

namespace titan {

struct ForwardTokens {
  std::int64_t batch = 0, seq_len = 0;  // B, T
  std::vector<std::int64_t> ids;        // [B, T] row-major
  std::string source;                   // "philox(seed=S)" or the file
};

// The caps of a token batch, the deck's own ([forward] batch, seq_len; in
// forward_settings.hpp): a tokens file is held to them too.

//! Name of the Philox key of generated tokens: key = philox_key(tokens_seed, this).
inline char const* forward_tokens_key_name() { return "forward.tokens"; }

//! Token (b, t) = philox_word(philox_key(tokens_seed, "forward.tokens"), b*T + t) mod V,
//! or the file's I64 [B, T] tensor 'tokens'. Throws InputError when T exceeds
//! the model's max_seq_len, or the file is missing, not a regular file,
//! malformed (every size in its header is checked against the file's size
//! with overflow-checked arithmetic), has another dtype or rank, fewer than
//! 2 positions, more than max_forward_batch sequences or max_forward_seq_len
//! positions, or an id outside [0, V). The file's data is read only after
//! its shape passed these checks.
ForwardTokens make_forward_tokens(ForwardSettings const& settings, TokenShape const& spec);

//! Collective over `comm`: the same batch on every rank. A tokens file is
//! read and checked by rank 0 alone and broadcast (a failure there is every
//! rank's CollectiveError): first its header (shape and caps), then a check
//! that every rank of a node can hold the ids in at most half the memory
//! available (`memory_available` > 0: that many bytes per node, as
//! [debug] memory_available; else measured), then the data. Generated
//! tokens are made on each rank.
ForwardTokens read_forward_tokens(MPI_Comm comm, ForwardSettings const& settings, TokenShape const& spec,
                                  std::int64_t memory_available = 0);

}  // namespace titan
