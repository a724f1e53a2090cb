// The deck's [checkpoint] table (docs/input_deck.md). Host-only plain struct.
#pragma once

#include <cstdint>
#include <string>

namespace titan {

struct CheckpointSettings {
  std::string save;                                        // directory to save into after init ("" = none)
  std::string load;                                        // directory to load from instead of init ("" = none)
  std::string names = "titan";                             // "titan" (FQNs) or "hf" (Hugging Face): both sides
  std::string load_names;                                  // the names --load reads ("" = names)
  std::string save_names;                                  // the names --save writes ("" = names)
  std::int64_t max_file_bytes = 5000000000;                // data bytes per .safetensors file (HF's 5 GB)
  std::int64_t buffer_bytes = std::int64_t(64) << 20;      // host staging buffer per rank
  std::int64_t write_speed_sample_bytes = std::int64_t(2) << 30;  // sequential-write reference: min(this, checkpoint bytes); 0 = off
  bool any() const;
};

inline bool CheckpointSettings::any() const {
  CheckpointSettings const d;
  return save != d.save || load != d.load || names != d.names || load_names != d.load_names ||
         save_names != d.save_names || max_file_bytes != d.max_file_bytes ||
         buffer_bytes != d.buffer_bytes || write_speed_sample_bytes != d.write_speed_sample_bytes;
}

}  // namespace titan
