// The deck's [forward] table and the --forward/--dump-logits options, as a
// plain struct (no Kokkos, no TOML).
#pragma once

#include <cstdint>
#include <string>

namespace titan {

//! Bounds of a batch, from the deck or a tokens file: B sequences of T tokens.
constexpr std::int64_t max_forward_batch = std::int64_t(1) << 20;
constexpr std::int64_t max_forward_seq_len = std::int64_t(1) << 24;

struct ForwardSettings {
  bool enabled = false;          // [forward] enabled, or --forward
  std::int64_t batch = 2;        // B sequences
  std::int64_t seq_len = 64;     // T tokens per sequence
  std::uint64_t tokens_seed = 0; // key of the deterministic tokens
  std::string tokens_file;       // safetensors with one I64 [B, T] tensor 'tokens' ("" = generate)
  std::int64_t repetitions = 1;  // passes; the time reported is the best one (the first warms caches and pages)
  std::string dump_logits;       // --dump-logits FILE.safetensors ("" = none)
};

}  // namespace titan
