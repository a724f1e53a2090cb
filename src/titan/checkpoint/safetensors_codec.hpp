// The one safetensors codec of titan_app (checkpoints, --dump-logits,
// [forward] tokens_file): the header's dtypes, its deterministic encoding,
// and a parser that checks everything a file can lie about before any size
// from it is used (design §10, docs/checkpoint.md).
// Format: an 8-byte little-endian u64 N, N bytes of JSON
//   {"__metadata__": {str: str}, "<name>": {"dtype": "F32", "shape": [..],
//    "data_offsets": [begin, end]}, ...}
// padded with spaces, then the tensors' raw little-endian row-major bytes
// (offsets relative to the first byte after the header).
// Host-only: no Kokkos, no MPI.
#pragma once

#include "titan/core/dtype.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace titan {

//! The element types a safetensors header may name (the safetensors
//! library's byte-sized ones). Parameters are F32 or BF16; the others are
//! read where they make sense (F16, F8_E4M3 with block scales, U8 MXFP4
//! blocks and scales, I64 tokens).
enum class StoredDType { F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, I16, I8, U64, U32, U16, U8, BOOL };

char const* stored_dtype_name(StoredDType t);
//! false for a string that is not one of the names above.
bool parse_stored_dtype(std::string const& s, StoredDType& out);
std::size_t stored_dtype_size(StoredDType t);
//! F32 / BF16 for a parameter dtype.
StoredDType stored_dtype_of(DType t);
//! True for F32 / BF16, whose DType it gives.
bool parameter_dtype_of(StoredDType t, DType& out);

//! Ordered string pairs: the "__metadata__" table, written in this order.
using Metadata = std::vector<std::pair<std::string, std::string>>;

//! A tensor as stored: its name, dtype, shape, and [begin, end) byte offsets
//! relative to the first byte after the header.
struct TensorRecord {
  std::string name;
  StoredDType dtype = StoredDType::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0;
  std::uint64_t nbytes() const { return end - begin; }
};

//! The header text of `tensors` (in this order, offsets as given) after the
//! metadata (left out when empty), padded with spaces to a multiple of 8.
std::string encode_header(std::vector<TensorRecord> const& tensors, Metadata const& metadata);
//! The 8-byte little-endian length prefix of a header.
std::string header_length_prefix(std::uint64_t n);
//! JSON string literal of `s` (quotes, escapes of '"', '\\' and control bytes).
void append_json_string(std::string& out, std::string const& s);
//! "[2, 3]"
std::string describe_shape(std::vector<std::int64_t> const& s);

// ---- reading ---------------------------------------------------------------

//! Largest header accepted (the safetensors library's limit).
constexpr std::uint64_t max_header_bytes = 100000000;
//! Deepest JSON nesting accepted in a header or an index (a header needs 3).
constexpr int max_json_depth = 64;

//! A parsed and checked file header.
struct ParsedFile {
  std::string name;
  std::uint64_t header_size = 0, file_size = 0;
  Metadata metadata;
  std::vector<TensorRecord> tensors;  // sorted by begin
  std::uint64_t data_start() const { return 8 + header_size; }
  //! The tensor named `name`, or null.
  TensorRecord const* find(std::string const& name) const;
};

//! Parses and checks one header. `file` names the file in messages,
//! `header_size` is the length prefix, `file_size` the file's size in bytes.
//! Throws InputError "FILE: corrupt header: ..." for a header length beyond
//! the file or max_header_bytes, invalid or too deeply nested JSON, a missing
//! or malformed field, an unknown dtype, a shape whose element or byte count
//! overflows 64 bits, offsets that do not match shape x dtype size, overlap
//! or leave a gap; "FILE: truncated: ..." when the data runs past the end of
//! the file; and trailing bytes after the last tensor.
ParsedFile parse_header(std::string const& header_text, std::string const& file, std::uint64_t header_size,
                        std::uint64_t file_size);

//! A whole file held in memory (the fuzz target and unit tests): prefix,
//! header and data checked as parse_header does.
ParsedFile parse_safetensors_bytes(std::string const& bytes, std::string const& name);

//! Opens `path` for reading without blocking on a FIFO and refuses anything
//! but a regular file (a FIFO, a device, a directory): InputError
//! "PATH: not a regular file (...)" naming `what`. Returns the descriptor and
//! sets `size`.
int open_regular_file(std::string const& path, std::string const& what, std::uint64_t& size);
//! Reads `n` bytes at `offset` of `fd` into `out` (pread until done);
//! InputError naming `path` when the file ends early or reading fails.
void read_exactly(int fd, std::string const& path, std::uint64_t offset, std::uint64_t n, char* out);
//! Reads and checks the header of the safetensors file `path` (regular files
//! only; InputError for every defect, named after `path`).
ParsedFile read_file_header(std::string const& path);
//! A small whole file (an index, config.json): regular files only, at most
//! `limit` bytes; InputError naming `path` and `what` otherwise.
std::string read_small_file(std::string const& path, std::string const& what, std::uint64_t limit);

//! True when the JSON text nests brackets no deeper than max_json_depth
//! (outside strings): checked before parsing so that no input can exhaust
//! the stack or memory by nesting.
bool json_depth_ok(std::string const& text);

}  // namespace titan
