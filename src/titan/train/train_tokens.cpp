#include "titan/train/train_tokens.hpp"

#include "titan/core/errors.hpp"
#include "titan/forward/safetensors.hpp"
#include "titan/init/counter_rng.hpp"

#include <cstring>

namespace titan {

namespace {
std::string shape_text(std::vector<std::int64_t> const& s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}
}  // namespace

TrainTokens::TrainTokens(TrainSettings const& s, std::int64_t vocab_size, std::int64_t max_seq_len,
                         std::int64_t last_step)
    : _vocab(vocab_size), _seed(s.tokens_seed) {
  if (!s.tokens_file.empty()) {
    std::string const where = "[train] tokens_file";
    LoadedTensor t = read_safetensor(s.tokens_file, "tokens", where);
    std::string const at = where + " " + s.tokens_file + ": tensor 'tokens'";
    require(t.dtype == "I64", at + " has dtype " + t.dtype + ", expected I64");
    require(t.shape.size() == 2 || t.shape.size() == 3,
            at + " has shape " + shape_text(t.shape) + ", expected [batch, seq_len] or [steps, batch, seq_len]");
    bool const per_step = t.shape.size() == 3;
    _batches = per_step ? t.shape[0] : 1;
    _batch = t.shape[t.shape.size() - 2];
    _seq_len = t.shape.back();
    require(_batches >= 1 && _batch >= 1 && _seq_len >= 2,
            at + " has shape " + shape_text(t.shape) + ", expected batch >= 1 and seq_len >= 2");
    require(!per_step || _batches >= last_step,
            at + " holds " + std::to_string(_batches) + " batches but training runs to step " +
                std::to_string(last_step) + " (batch s is used at step s)");
    _ids.resize(t.bytes.size() / sizeof(std::int64_t));
    std::memcpy(_ids.data(), t.bytes.data(), _ids.size() * sizeof(std::int64_t));
    for (std::size_t i = 0; i < _ids.size(); ++i)
      require(_ids[i] >= 0 && _ids[i] < vocab_size,
              at + ": token id " + std::to_string(_ids[i]) + " at flat index " + std::to_string(i) +
                  " is outside the vocabulary [0, " + std::to_string(vocab_size) + ")");
    _source = s.tokens_file + (per_step ? " (batch s at step s)" : " (the same batch every step)");
    if (!per_step) _batches = -1;  // the same batch every step
  } else {
    _batch = s.batch;
    _seq_len = s.seq_len;
    _source = "philox(tokens_seed=" + std::to_string(s.tokens_seed) + "), a new batch every step";
  }
  require(_seq_len <= max_seq_len, "[train] seq_len = " + std::to_string(_seq_len) +
                                       " exceeds the model's max_seq_len = " + std::to_string(max_seq_len) +
                                       " (the RoPE table's length; raise model.max_seq_len or shorten the sequence)");
}

std::vector<std::int64_t> TrainTokens::for_step(std::int64_t step) const {
  std::int64_t const n = _batch * _seq_len;
  if (_batches == -1) return _ids;  // one batch, every step
  if (_batches > 0) {
    auto const first = _ids.begin() + (step - 1) * n;
    return std::vector<std::int64_t>(first, first + n);
  }
  PhiloxKey const key = philox_key(_seed, "train.tokens");
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
  std::uint64_t const base = static_cast<std::uint64_t>(step - 1) * static_cast<std::uint64_t>(n);
  for (std::int64_t i = 0; i < n; ++i)
    ids[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(philox_word(key, base + static_cast<std::uint64_t>(i)) %
                                                                 static_cast<std::uint64_t>(_vocab));
  return ids;
}

}  // namespace titan
