#include "titan/forward/tokens.hpp"

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

ForwardTokens make_forward_tokens(ForwardSettings const& s, std::int64_t vocab_size, std::int64_t max_seq_len) {
  ForwardTokens out;
  std::int64_t const V = vocab_size;
  if (!s.tokens_file.empty()) {
    std::string const where = "[forward] tokens_file";
    LoadedTensor t = read_safetensor(s.tokens_file, "tokens", where);
    std::string const at = where + " " + s.tokens_file + ": tensor 'tokens'";
    require(t.dtype == "I64", at + " has dtype " + t.dtype + ", expected I64");
    require(t.shape.size() == 2, at + " has shape " + shape_text(t.shape) + ", expected rank 2 [batch, seq_len]");
    require(t.shape[0] >= 1 && t.shape[1] >= 2, at + " has shape " + shape_text(t.shape) + ", expected batch >= 1 and seq_len >= 2");
    out.batch = t.shape[0];
    out.seq_len = t.shape[1];
    out.ids.resize(static_cast<std::size_t>(out.batch * out.seq_len));
    std::memcpy(out.ids.data(), t.bytes.data(), t.bytes.size());
    for (std::size_t i = 0; i < out.ids.size(); ++i) {
      std::int64_t const id = out.ids[i];
      require(id >= 0 && id < V, at + ": token id " + std::to_string(id) + " at [" + std::to_string(i / out.seq_len) +
                                     ", " + std::to_string(i % out.seq_len) + "] is outside the vocabulary [0, " +
                                     std::to_string(V) + ")");
    }
    out.source = s.tokens_file;
  } else {
    out.batch = s.batch;
    out.seq_len = s.seq_len;
    PhiloxKey const key = philox_key(s.tokens_seed, forward_tokens_key_name());
    out.ids.resize(static_cast<std::size_t>(out.batch * out.seq_len));
    for (std::size_t i = 0; i < out.ids.size(); ++i)
      out.ids[i] = static_cast<std::int64_t>(philox_word(key, i) % static_cast<std::uint64_t>(V));
    out.source = "philox(tokens_seed=" + std::to_string(s.tokens_seed) + ")";
  }
  require(out.seq_len <= max_seq_len,
          "[forward] seq_len = " + std::to_string(out.seq_len) + " exceeds the model's max_seq_len = " +
              std::to_string(max_seq_len) + " (the RoPE table's length; raise model.max_seq_len or shorten the sequence)");
  return out;
}

}  // namespace titan
