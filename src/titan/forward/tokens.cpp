#include "titan/forward/tokens.hpp"

#include "titan/checkpoint/checked_arith.hpp"
#include "titan/checkpoint/safetensors_codec.hpp"
#include "titan/core/errors.hpp"
#include "titan/init/counter_rng.hpp"
#include "titan/parallel/broadcast.hpp"
#include "titan/parallel/collective.hpp"

#include <algorithm>
#include <cstring>
#include <unistd.h>

namespace titan {

namespace {

// The file's tokens, its shape checked before a byte of data is read.
ForwardTokens read_tokens_file(std::string const& path) {
  std::string const where = "[forward] tokens_file";
  ParsedFile pf;
  try {
    pf = read_file_header(path);  // every offset and shape checked against the file's size
  } catch (InputError const& e) {
    throw InputError(where + " " + e.what());
  }
  std::string const at = where + " " + path + ": tensor 'tokens'";
  TensorRecord const* t = pf.find("tokens");
  require(t != nullptr, where + " " + path + ": has no tensor named 'tokens'");
  require(t->dtype == StoredDType::I64, at + " has dtype " + stored_dtype_name(t->dtype) + ", expected I64");
  require(t->shape.size() == 2, at + " has shape " + describe_shape(t->shape) + ", expected rank 2 [batch, seq_len]");
  std::int64_t const B = t->shape[0], T = t->shape[1];
  require(B >= 1 && T >= 2, at + " has shape " + describe_shape(t->shape) + ", expected batch >= 1 and seq_len >= 2");
  require(B <= max_forward_batch, at + " has shape " + describe_shape(t->shape) + ": batch " + std::to_string(B) +
                                      " exceeds the cap of " + std::to_string(max_forward_batch) + " sequences");
  require(T <= max_forward_seq_len, at + " has shape " + describe_shape(t->shape) + ": seq_len " + std::to_string(T) +
                                        " exceeds the cap of " + std::to_string(max_forward_seq_len) + " positions");
  std::uint64_t n = 0, bytes = 0;  // cannot overflow after the caps; checked all the same
  if (!checked_numel(t->shape, n) || !checked_mul(n, sizeof(std::int64_t), bytes) || bytes != t->nbytes())
    throw InputError(at + ": its byte count does not match its shape");
  ForwardTokens out;
  out.batch = B;
  out.seq_len = T;
  out.ids.resize(static_cast<std::size_t>(n));
  std::uint64_t size = 0;
  int const fd = open_regular_file(path, "a safetensors file", size);
  try {
    require(size == pf.file_size, where + " " + path + ": the file changed while being read");
    read_exactly(fd, path, pf.data_start() + t->begin, bytes, reinterpret_cast<char*>(out.ids.data()));
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  out.source = path;
  return out;
}

void check_tokens(ForwardTokens const& out, ForwardSettings const& s, DecoderSpec const& spec) {
  std::int64_t const V = spec.vocab_size;
  if (!s.tokens_file.empty()) {
    std::string const at = "[forward] tokens_file " + s.tokens_file + ": tensor 'tokens'";
    for (std::size_t i = 0; i < out.ids.size(); ++i) {
      std::int64_t const id = out.ids[i];
      require(id >= 0 && id < V, at + ": token id " + std::to_string(id) + " at [" + std::to_string(i / out.seq_len) +
                                     ", " + std::to_string(i % out.seq_len) + "] is outside the vocabulary [0, " +
                                     std::to_string(V) + ")");
    }
  }
}

void require_seq_len(std::int64_t seq_len, DecoderSpec const& spec) {
  require(seq_len <= spec.max_seq_len,
          "[forward] seq_len = " + std::to_string(seq_len) + " exceeds the model's max_seq_len = " +
              std::to_string(spec.max_seq_len) + " (the RoPE table's length; raise model.max_seq_len or shorten the sequence)");
}

}  // namespace

ForwardTokens make_forward_tokens(ForwardSettings const& s, DecoderSpec const& spec) {
  ForwardTokens out;
  std::int64_t const V = spec.vocab_size;
  if (!s.tokens_file.empty()) {
    out = read_tokens_file(s.tokens_file);
    require_seq_len(out.seq_len, spec);
    check_tokens(out, s, spec);
  } else {
    require_seq_len(s.seq_len, spec);
    out.batch = s.batch;
    out.seq_len = s.seq_len;
    PhiloxKey const key = philox_key(s.tokens_seed, forward_tokens_key_name());
    out.ids.resize(static_cast<std::size_t>(out.batch * out.seq_len));
    for (std::size_t i = 0; i < out.ids.size(); ++i)
      out.ids[i] = static_cast<std::int64_t>(philox_word(key, i) % static_cast<std::uint64_t>(V));
    out.source = "philox(tokens_seed=" + std::to_string(s.tokens_seed) + ")";
  }
  return out;
}

ForwardTokens read_forward_tokens(MPI_Comm comm, ForwardSettings const& s, DecoderSpec const& spec) {
  if (s.tokens_file.empty()) return make_forward_tokens(s, spec);
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  ForwardTokens out;
  collective(comm, [&] {
    if (rank == 0) out = make_forward_tokens(s, spec);
  });
  std::int64_t shape[2] = {out.batch, out.seq_len};
  TITAN_MPI_CHECK(MPI_Bcast(shape, 2, MPI_INT64_T, 0, comm));
  out.batch = shape[0];
  out.seq_len = shape[1];
  out.ids.resize(static_cast<std::size_t>(out.batch * out.seq_len));
  std::size_t constexpr piece = std::size_t(1) << 27;  // ids per MPI_Bcast (1 GiB)
  for (std::size_t at = 0; at < out.ids.size(); at += piece) {
    int const n = static_cast<int>(std::min(piece, out.ids.size() - at));
    TITAN_MPI_CHECK(MPI_Bcast(out.ids.data() + at, n, MPI_INT64_T, 0, comm));
  }
  broadcast_text(comm, out.source, 0);
  return out;
}

}  // namespace titan
