// Which stored tensors a checkpoint holds for a model, and where: the save
// layout (stored tensors in write order, each model tensor's pieces) and the
// load plan (for each model tensor the layout the checkpoint has, for each
// stored tensor its file, offset and encoding), from titan's FQNs or a
// family's Hugging Face adapter. Rank 0 plans a load; the plan travels to
// the other ranks as text. Host-only: no Kokkos, no MPI.
#pragma once

#include "titan/checkpoint/hf_adapter.hpp"
#include "titan/checkpoint/piece_transfer.hpp"
#include "titan/checkpoint/safetensors_format.hpp"

#include <string>
#include <vector>

namespace titan {

//! Checkpoint tensor names: titan_app's FQNs or the family's HF names.
enum class CheckpointNames { titan, hf };
//! "titan" / "hf"; parse returns false for anything else.
char const* checkpoint_names_name(CheckpointNames n);
bool parse_checkpoint_names(std::string const& s, CheckpointNames& out);

//! What the layout needs of a model tensor (a parameter or a buffer).
struct ModelTensorInfo {
  std::string fqn;
  Extents shape;
  DType dtype = DType::float32;
  bool tied = false;    // registered under several FQNs
  bool buffer = false;  // a buffer: stored only where HF has it, optional on load
};

//! For each model tensor the layouts it may be stored in (the first is the
//! one saved; none: not stored): titan names store every parameter whole
//! under its (primary) FQN and no buffer; HF names ask `adapter`. Each layout
//! is checked (check_piece_layout). Throws InputError for a tensor without a
//! name.
std::vector<std::vector<PieceLayout>> model_layouts(std::vector<ModelTensorInfo> const& model, HfAdapter const* adapter);

//! The stored tensors a save writes, in the order of their first piece (the
//! model's registration order), with the model tensor's dtype. Throws
//! RunError (an adapter bug) when the pieces of a stored tensor do not fill
//! it exactly once, disagree on its shape or dtype; InputError when two
//! stored tensors would have one name.
std::vector<TensorSpec> save_tensors(std::vector<ModelTensorInfo> const& model,
                                     std::vector<std::vector<PieceLayout>> const& layouts);

//! Where one stored tensor a load reads lies, and how it is encoded.
struct StoredSource {
  std::string name;  // the name the pieces use
  Extents shape;     // its logical shape
  StoredEncoding encoding = StoredEncoding::plain;
  StoredDType dtype = StoredDType::F32;  // of the data tensor
  int file = -1;
  std::uint64_t offset = 0;  // absolute offset of its data (mxfp4: of "<base>_blocks")
  Extents data_shape;        // the data tensor's own shape (mxfp4: [..., R, C/32, 16])
  int scale_file = -1;       // fp8_block: "<name>_scale_inv"; mxfp4: "<base>_scales"
  std::uint64_t scale_offset = 0;
  StoredDType scale_dtype = StoredDType::F32;
  Extents scale_shape;
};

//! A load, decided by rank 0 from the checkpoint's headers.
struct LoadPlan {
  std::vector<std::string> files;      // in the directory, in the index's order
  std::vector<int> choice;             // per model tensor: its layout (-1: not loaded, a buffer HF does not hold)
  std::vector<StoredSource> sources;   // every stored tensor the chosen layouts read
  Metadata metadata;                   // of the first file
  std::uint64_t bytes = 0;             // of the files
};

//! Matches the model against the checkpoint: for each model tensor the first
//! layout whose stored tensors the checkpoint holds (plain F32/BF16/F16,
//! F8_E4M3 with "<name>_scale_inv" blocks, or "<base>_blocks" U8 with
//! "<base>_scales" for a name ending in "_blocks"). Throws InputError naming
//! the file and tensor for a missing tensor, a shape mismatch, a plain dtype
//! other than the run's without `convert_dtype`, a malformed quantization
//! companion, or a stored tensor that no model tensor takes (unless
//! `adapter` says to ignore it).
LoadPlan plan_load(CheckpointContents const& c, std::vector<ModelTensorInfo> const& model,
                   std::vector<std::vector<PieceLayout>> const& layouts, bool convert_dtype, HfAdapter const* adapter);

//! The plan as text and back (rank 0 broadcasts it).
std::string encode_load_plan(LoadPlan const& p);
LoadPlan decode_load_plan(std::string const& text);

}  // namespace titan
