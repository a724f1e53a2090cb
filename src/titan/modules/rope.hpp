// Rotary position embedding table (complex RoPE with Llama's or YaRN's
// frequency scaling, spec 3.4), stored as cos/sin pairs:
// freqs_cis [max_seq_len, dim/2, 2] float32.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace titan {

struct RoPEConfig {
  std::int64_t dim = 0;            // rotary width (usually head_dim); set by the family
  std::int64_t max_seq_len = 2048;
  double theta = 500000.0;
  std::string scaling = "llama";   // "none", "llama" or "yarn"
  double scaling_factor = 8.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  std::int64_t original_max_position_embeddings = 8192;
  // YaRN (scaling = "yarn"; applied when rope_factor > 1), torchtitan's defaults.
  double rope_factor = 1.0;
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  std::int64_t original_seq_len = 4096;
  bool truncate = true;            // floor/ceil the correction range (DeepSeek); false: fractional (gpt-oss)
  //! How attention pairs a head's features with the table's frequencies:
  //! false = adjacent pairs (x[2j], x[2j+1]) as one complex number (Llama3,
  //! Llama4, DeepSeek-V3: torchtitan's ComplexRoPE); true = (x[j], x[j+hd/2])
  //! (Qwen3, gpt-oss: CosSinRoPE).
  bool rotate_half = false;

  //! Throws InputError when a value is out of range.
  void validate(std::string const& where) const;
};

//! YaRN's correction range (lo, hi) over the frequency index j (spec 3.4):
//! c(r) = dim ln(original_seq_len / (2 pi r)) / (2 ln theta), lo = c(beta_fast),
//! hi = c(beta_slow); with truncate lo = floor(lo), hi = ceil(hi); then
//! lo = max(lo, 0), hi = min(hi, dim - 1), and hi += 0.001 if lo == hi.
std::pair<double, double> yarn_correction_range(RoPEConfig const& c);

//! The dim/2 base frequencies after scaling, as float32 (torch computes them
//! in float32: 1 / theta^(2j/dim), then Llama's wavelength-based scaling,
//! or YaRN's ramp: f_j / rope_factor * ramp_j + f_j * (1 - ramp_j) with
//! ramp_j = clamp((j - lo) / (hi - lo), 0, 1)).
std::vector<float> rope_frequencies(RoPEConfig const& c);

//! Element `element` of the table [max_seq_len, dim/2, 2] of base
//! frequencies `freqs` (dim/2 of them): cos (element even) or sin (odd) of
//! angle = float32(p * f_j), evaluated in double by libm and rounded to
//! float, as torch.polar(ones, outer(t, freqs)) does. The definition of the
//! table's values: the reference the kernel (rope_table.hpp) must match.
float rope_table_value(std::vector<float> const& freqs, std::int64_t element);

//! Fills host memory `out` ([max_seq_len, dim/2, 2]) with rope_table_value()
//! one element at a time (single-threaded: the reference and the fallback).
void fill_rope_table(RoPEConfig const& c, float* out);

}  // namespace titan
