// Rotary position embedding table (Llama's complex RoPE with its frequency
// scaling), stored as cos/sin pairs: freqs_cis [max_seq_len, dim/2, 2] float32.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

struct RoPEConfig {
  std::int64_t dim = 0;            // rotary width (usually head_dim); set by the family
  std::int64_t max_seq_len = 2048;
  double theta = 500000.0;
  std::string scaling = "llama";   // "none" or "llama"
  double scaling_factor = 8.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  std::int64_t original_max_position_embeddings = 8192;

  //! Throws InputError when a value is out of range.
  void validate(std::string const& where) const;
};

//! The dim/2 base frequencies after scaling, as float32 (torch computes them
//! in float32: 1 / theta^(2j/dim), then Llama's wavelength-based scaling).
std::vector<float> rope_frequencies(RoPEConfig const& c);

//! Fills host memory `out` ([max_seq_len, dim/2, 2]) with cos/sin of
//! angle = float32(p * f_j), as torch.polar(ones, outer(t, freqs)) does.
void fill_rope_table(RoPEConfig const& c, float* out);

}  // namespace titan
