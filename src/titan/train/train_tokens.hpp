// The token batches of training (host-only): read from a safetensors file
// (I64 'tokens' [B, T], the same batch every step, or [S, B, T], batch s at
// step s) or generated from the counter RNG (a new batch every step).
#pragma once

#include "titan/train/train_settings.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

class TrainTokens {
 public:
  //! Checks the file (dtype, rank, sizes, ids in [0, vocab_size), enough
  //! batches for steps 1 .. last_step) or the settings. Throws InputError.
  TrainTokens(TrainSettings const& s, std::int64_t vocab_size, std::int64_t max_seq_len, std::int64_t last_step);

  std::int64_t batch() const { return _batch; }
  std::int64_t seq_len() const { return _seq_len; }
  std::string const& source() const { return _source; }
  //! Tokens [B, T] row-major of optimizer step `step` (1-based):
  //! generated: philox_word(philox_key(tokens_seed, "train.tokens"), ((step-1) B + b) T + t) mod V.
  std::vector<std::int64_t> for_step(std::int64_t step) const;

 private:
  std::int64_t _batch = 0, _seq_len = 0, _vocab = 0;
  std::int64_t _batches = 0;  // S of a [S, B, T] file; -1: one [B, T] batch every step; 0: generated
  std::uint64_t _seed = 0;
  std::vector<std::int64_t> _ids;  // the file's [S or 1, B, T]
  std::string _source;
};

}  // namespace titan
