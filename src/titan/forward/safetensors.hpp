// Single-file safetensors output and tensor reads for the forward pass
// (--dump-logits, [forward] tokens_file) and test tools, on top of the one
// codec in checkpoint/safetensors_codec.hpp. Host-only.
#pragma once

#include "titan/checkpoint/safetensors_codec.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

struct SafeTensor {
  std::string name;
  std::string dtype;                  // "F32", "I64", ... (a safetensors dtype name)
  std::vector<std::int64_t> shape;
  void const* data = nullptr;         // writer: bytes to write
  std::int64_t bytes = 0;             // writer: their size (= numel * dtype size)
};

//! The serialized file (header + data) in memory; tensors in the given order.
//! Throws RunError when a tensor's bytes do not match its shape and dtype.
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
//! Reads tensor `name` of the safetensors file `path` (a regular file whose
//! whole header checks out). Throws InputError (prefixed with `where`) when
//! the file is missing, not a regular file, malformed, has no such tensor,
//! or the tensor holds more than `max_bytes`.
LoadedTensor read_safetensor(std::string const& path, std::string const& name, std::string const& where,
                             std::uint64_t max_bytes = std::uint64_t(1) << 40);

}  // namespace titan
