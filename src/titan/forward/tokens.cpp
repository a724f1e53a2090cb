#include "titan/forward/tokens.hpp"

#include "titan/checkpoint/checked_arith.hpp"
#include "titan/checkpoint/safetensors_codec.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/memory_limits.hpp"
#include "titan/init/counter_rng.hpp"
#include "titan/parallel/collective.hpp"

#include <algorithm>
#include <cstring>
#include <unistd.h>

namespace titan {

namespace {

// The header of a tokens file and its 'tokens' tensor, checked (dtype,
// rank, caps) before a byte of data is read.
struct TokensHeader {
  ParsedFile file;
  TensorRecord tokens;
};

TokensHeader read_tokens_header(std::string const& path) {
  std::string const where = "[forward] tokens_file";
  TokensHeader h;
  try {
    h.file = read_file_header(path);  // every offset and shape checked against the file's size
  } catch (InputError const& e) {
    throw InputError(where + " " + e.what());
  }
  std::string const at = where + " " + path + ": tensor 'tokens'";
  TensorRecord const* t = h.file.find("tokens");
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
  h.tokens = *t;
  return h;
}

// The token ids of a checked header, into `ids` (sized B * T).
void read_tokens_data(std::string const& path, TokensHeader const& h, std::vector<std::int64_t>& ids) {
  std::uint64_t size = 0;
  int const fd = open_regular_file(path, "a safetensors file", size);
  try {
    require(size == h.file.file_size, "[forward] tokens_file " + path + ": the file changed while being read");
    read_exactly(fd, path, h.file.data_start() + h.tokens.begin, h.tokens.nbytes(), reinterpret_cast<char*>(ids.data()));
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

ForwardTokens read_tokens_file(std::string const& path) {
  TokensHeader const h = read_tokens_header(path);
  ForwardTokens out;
  out.batch = h.tokens.shape[0];
  out.seq_len = h.tokens.shape[1];
  out.ids.resize(static_cast<std::size_t>(out.batch * out.seq_len));
  read_tokens_data(path, h, out.ids);
  out.source = path;
  return out;
}

void check_tokens(ForwardTokens const& out, ForwardSettings const& s, TokenShape const& spec) {
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

void require_seq_len(std::int64_t seq_len, TokenShape const& spec) {
  require(seq_len <= spec.max_seq_len,
          "[forward] seq_len = " + std::to_string(seq_len) + " exceeds the model's max_seq_len = " +
              std::to_string(spec.max_seq_len) + " (the RoPE table's length; raise model.max_seq_len or shorten the sequence)");
}

}  // namespace

ForwardTokens make_forward_tokens(ForwardSettings const& s, TokenShape const& spec) {
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

ForwardTokens read_forward_tokens(MPI_Comm comm, ForwardSettings const& s, TokenShape const& spec,
                                  std::int64_t memory_available) {
  if (s.tokens_file.empty()) {  // generated on every rank; the checks (seq_len) may refuse on all alike
    ForwardTokens generated;
    collective(comm, [&] { generated = make_forward_tokens(s, spec); });
    return generated;
  }
  int rank = 0, node_ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm node;
  TITAN_MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
  MPI_Comm_size(node, &node_ranks);
  MPI_Comm_free(&node);
  // 1. Rank 0 reads and checks the header: the shape, before any data.
  TokensHeader h;
  collective(comm, [&] {
    if (rank != 0) return;
    h = read_tokens_header(s.tokens_file);
    require_seq_len(h.tokens.shape[1], spec);
  });
  ForwardTokens out;
  std::int64_t shape[2] = {rank == 0 ? h.tokens.shape[0] : 0, rank == 0 ? h.tokens.shape[1] : 0};
  TITAN_MPI_CHECK(MPI_Bcast(shape, 2, MPI_INT64_T, 0, comm));
  out.batch = shape[0];
  out.seq_len = shape[1];
  // 2. Every rank will hold the ids: they must fit, with room to spare, in
  // the memory of this node's ranks (the forward pass itself needs much more).
  std::int64_t const bytes = out.batch * out.seq_len * static_cast<std::int64_t>(sizeof(std::int64_t));
  collective(comm, [&] {
    MemoryRoom const room = memory_available > 0 ? MemoryRoom{memory_available, "[debug] memory_available"} : available_memory();
    if (room.bytes >= 0 && static_cast<double>(bytes) * node_ranks > 0.5 * static_cast<double>(room.bytes))
      throw InputError("[forward] tokens_file " + s.tokens_file + ": its tokens " + describe_shape({out.batch, out.seq_len}) +
                       " take " + std::to_string(bytes) + " bytes on each of the " + std::to_string(node_ranks) +
                       " ranks of a node, more than half of the " + std::to_string(room.bytes) + " bytes available (" +
                       room.source + ")");
    out.ids.resize(static_cast<std::size_t>(out.batch * out.seq_len));
  });
  // 3. Rank 0 reads the ids and checks them; everyone gets them.
  collective(comm, [&] {
    if (rank != 0) return;
    read_tokens_data(s.tokens_file, h, out.ids);
    check_tokens(out, s, spec);
  });
  std::size_t constexpr piece = std::size_t(1) << 27;  // ids per MPI_Bcast (1 GiB)
  for (std::size_t at = 0; at < out.ids.size(); at += piece) {
    int const n = static_cast<int>(std::min(piece, out.ids.size() - at));
    TITAN_MPI_CHECK(MPI_Bcast(out.ids.data() + at, n, MPI_INT64_T, 0, comm));
  }
  out.source = s.tokens_file;
  return out;
}

}  // namespace titan
