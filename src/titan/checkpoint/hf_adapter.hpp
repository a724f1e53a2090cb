// A family's Hugging Face state-dict adapter (--load-names / --save-names
// hf): for each model tensor the pieces of HF-named tensors that store it
// (renames, q/k row permutation between RoPE layouts, experts stored one per
// tensor, fused or split projections, transposes), the stored names a
// checkpoint may hold that the model takes nothing from, and config.json.
// Each family's adapter lives in its folder (models/<family>/<family>_hf.*),
// mapping names as torchtitan's state-dict adapter for the family does and
// as the HF architecture stores them. Host-only.
#pragma once

#include "titan/checkpoint/hf_config.hpp"
#include "titan/checkpoint/stored_piece.hpp"
#include "titan/core/dtype.hpp"

#include <memory>
#include <string>
#include <vector>

namespace titan {

class HfAdapter {
 public:
  virtual ~HfAdapter() = default;
  //! The layouts in which model tensor `fqn` of `shape` may be stored, the
  //! first being the one --save writes; --load takes the first whose stored
  //! tensors the checkpoint holds. `tied`: the tensor is registered under
  //! several FQNs (weight tying; fqn is its primary one). Throws InputError
  //! for a parameter the adapter cannot name.
  virtual std::vector<PieceLayout> layouts(std::string const& fqn, Extents const& shape, bool tied) const = 0;
  //! The same for a buffer (float32); none (the default): HF does not store
  //! it. A stored buffer is optional on load (it keeps its initial values).
  virtual std::vector<PieceLayout> buffer_layouts(std::string const& fqn, Extents const& shape) const;
  //! A stored tensor of a loaded checkpoint that the model takes nothing
  //! from (HF's rotary inv_freq, a tied model's lm_head).
  virtual bool ignored_on_load(std::string const& name) const;
  //! config.json for the model stored in `dtype`.
  virtual HfConfig config(DType dtype) const = 0;
  //! The stem of the file names: "model" (model-00001-of-0000N.safetensors,
  //! model.safetensors.index.json) or diffusers' "diffusion_pytorch_model".
  virtual std::string file_stem() const { return "model"; }
};

//! "layers.<i>.<rest>" (with `prefix` "layers.") -> (i, rest); false otherwise.
bool split_indexed(std::string const& fqn, std::string const& prefix, std::string& index, std::string& rest);

//! The HF name of `rest` in `table` ({titan suffix, HF suffix} pairs), or "".
std::string renamed(std::string const& rest, std::vector<std::pair<char const*, char const*>> const& table);

//! InputError: `fqn` has no HF name in `family`'s adapter.
[[noreturn]] void no_hf_name(std::string const& family, std::string const& fqn);

}  // namespace titan
