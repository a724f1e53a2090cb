// A minimal single-file safetensors writer and reader (host-only).
// Format: 8-byte little-endian header length n, n bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
// padded with spaces to a multiple of 8, then the raw little-endian data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

struct SafeTensor {
  std::string name;
  std::string dtype;                  // "F32", "I64", ...
  std::vector<std::int64_t> shape;
  void const* data = nullptr;         // writer: bytes to write
  std::int64_t bytes = 0;             // writer: their size (= numel * dtype size)
};

//! The serialized file (header + data) in memory; tensors in the given order.
std::string safetensors_bytes(std::vector<SafeTensor> const& tensors);
//! Writes `path` atomically (a temporary beside it, then rename). Throws
//! RunError on an I/O error.
void write_safetensors(std::string const& path, std::vector<SafeTensor> const& tensors);

//! One tensor read from a file: its description and raw bytes.
struct LoadedTensor {
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::vector<char> bytes;
};
//! Reads tensor `name` of the safetensors file `path`. Throws InputError
//! (prefixed with `where`) when the file is missing, malformed, or has no
//! such tensor.
LoadedTensor read_safetensor(std::string const& path, std::string const& name, std::string const& where);

}  // namespace titan
