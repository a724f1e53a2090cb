// The fingerprints a checkpoint carries, and the check of a loaded model
// against them (issue 19, class 4): a bit flipped on disk, or two tensors
// of one shape swapped, must not load silently. Host-only (JSON; no Kokkos,
// no MPI).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace titan {

//! A tensor's stored name and its fingerprint (layout-invariant, design §5).
using TensorFingerprints = std::vector<std::pair<std::string, std::uint64_t>>;

//! model.safetensors.index.json with titan_app's own metadata added after
//! total_size: "program": "titan_app", "fingerprint" (the model's) and
//! "tensor_fingerprints" {stored name: "0x%016x"} (names sorted). Readers
//! that know only total_size and weight_map are unaffected.
std::string add_fingerprints_to_index(std::string const& index_json, std::uint64_t model_fingerprint,
                                      TensorFingerprints const& tensors);

//! What a checkpoint says its values were: the model's fingerprint (every
//! titan_app checkpoint's header metadata has it) and, from the index, each
//! tensor's (checkpoints written before issue 19 have none).
struct SavedFingerprints {
  std::optional<std::uint64_t> model;
  std::map<std::string, std::uint64_t> tensors;
};
//! `header_fingerprint` is the "fingerprint" value of a shard header's
//! __metadata__ ("" when absent); `index_json` the index's text.
SavedFingerprints saved_fingerprints(std::string const& header_fingerprint, std::string const& index_json);

//! Throws InputError when the loaded values do not reproduce the saved
//! fingerprints: names the first tensor (in `loaded` order) whose
//! fingerprint differs when the checkpoint lists them, else the model's two
//! fingerprints. `dir` names the checkpoint in the message.
void check_loaded_fingerprints(SavedFingerprints const& saved, std::uint64_t loaded_model,
                               TensorFingerprints const& loaded, std::string const& dir);

}  // namespace titan
