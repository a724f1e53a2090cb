// The on-disk layout of a titan_app checkpoint directory (design §10,
// docs/checkpoint.md): Hugging Face-style sharded safetensors files (encoded
// and parsed by safetensors_codec.hpp) plus model.safetensors.index.json.
// Host-only: plain structs, JSON text in and out; no Kokkos, no MPI.
#pragma once

#include "titan/checkpoint/safetensors_codec.hpp"
#include "titan/core/dtype.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace titan {

//! One .safetensors file: its name, its tensors in file order, and the padded
//! header text (a multiple of 8 bytes). The file is
//! [u64 LE header length][header][tensor bytes].
struct FileRecord {
  std::string name;
  std::vector<TensorRecord> tensors;
  std::string header;
  std::uint64_t data_start() const { return 8 + header.size(); }
  std::uint64_t data_bytes() const { return tensors.empty() ? 0 : tensors.back().end; }
  std::uint64_t size() const { return data_start() + data_bytes(); }
};

//! What the planner needs of each tensor, in the order they are written.
struct TensorSpec {
  std::string name;
  DType dtype = DType::float32;
  std::vector<std::int64_t> shape;
};

std::uint64_t tensor_bytes(TensorSpec const& t);

//! "model-00001-of-00003.safetensors" (1-based, five digits like HF); the
//! stem is "model", or diffusers' "diffusion_pytorch_model".
std::string shard_file_name(int index, int count, std::string const& stem = "model");
//! "model.safetensors.index.json" for stem "model".
std::string index_file_name(std::string const& stem = "model");

//! Plans the files: tensors in the given order; a file holds tensors until
//! the next one would make its data exceed max_file_bytes; a tensor larger
//! than the limit gets a file of its own; tensors are never split. Headers
//! are encoded (deterministically: metadata in the given order, then the
//! tensors in file order) and padded with spaces to a multiple of 8 bytes.
std::vector<FileRecord> plan_checkpoint_files(std::vector<TensorSpec> const& tensors, std::uint64_t max_file_bytes,
                                              Metadata const& metadata, std::string const& stem = "model");

//! model.safetensors.index.json: {"metadata": {"total_size": N}, "weight_map":
//! {name: file}} with the names sorted (as HF writes it), indent 2.
std::string encode_index(std::vector<FileRecord> const& files);

// ---- reading ---------------------------------------------------------------

//! Largest index file accepted.
constexpr std::uint64_t max_index_bytes = std::uint64_t(256) << 20;

//! Parses model.safetensors.index.json; the weight map in name order.
struct ParsedIndex {
  std::uint64_t total_size = 0;
  std::vector<std::pair<std::string, std::string>> weight_map;
};
ParsedIndex parse_index(std::string const& text, std::string const& path);

//! A checkpoint directory read and checked for consistency (every tensor of
//! the index in the file it names, and nothing else in the files).
struct CheckpointContents {
  std::string dir;
  std::string index;              // the index file's name ("" for a lone STEM.safetensors)
  std::vector<ParsedFile> files;  // in the order the index first names them
  Metadata metadata;              // of the first file
};
//! Reads DIR/model.safetensors.index.json (or diffusers'
//! diffusion_pytorch_model.safetensors.index.json) and every header it
//! names; without an index, a lone model.safetensors (or
//! diffusion_pytorch_model.safetensors), as HF saves a model of one file.
//! Throws InputError naming the file (and tensor) for every defect.
CheckpointContents read_checkpoint_directory(std::string const& dir);

}  // namespace titan
