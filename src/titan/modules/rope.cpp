#include "titan/modules/rope.hpp"

#include "titan/core/errors.hpp"

#include <cmath>

namespace titan {

void RoPEConfig::validate(std::string const& where) const {
  require(dim > 0 && dim % 2 == 0, where + ": RoPE dim (head_dim) must be even and > 0 (got " + std::to_string(dim) + ")");
  require(max_seq_len > 0, where + ": max_seq_len must be > 0 (got " + std::to_string(max_seq_len) + ")");
  require(std::isfinite(theta) && theta > 1.0, where + ": rope_theta must be > 1 (got " + std::to_string(theta) + ")");
  require(scaling == "none" || scaling == "llama",
          where + ": rope_scaling = '" + scaling + "' is not known (use 'llama' or 'none')");
  if (scaling == "llama") {
    require(scaling_factor > 0, where + ": rope_scaling_factor must be > 0");
    require(low_freq_factor > 0 && high_freq_factor >= low_freq_factor,
            where + ": rope needs 0 < low_freq_factor <= high_freq_factor");
    require(original_max_position_embeddings > 0, where + ": original_max_position_embeddings must be > 0");
  }
}

std::vector<float> rope_frequencies(RoPEConfig const& c) {
  std::vector<float> f(static_cast<std::size_t>(c.dim / 2));
  double const pi = 3.14159265358979323846;
  for (std::int64_t j = 0; j < c.dim / 2; ++j) {
    float const exponent = static_cast<float>(2 * j) / static_cast<float>(c.dim);
    float freq = 1.0f / std::pow(static_cast<float>(c.theta), exponent);
    if (c.scaling == "llama") {
      double const orig = static_cast<double>(c.original_max_position_embeddings);
      double const low_wavelen = orig / c.low_freq_factor;
      double const high_wavelen = orig / c.high_freq_factor;
      double const wavelen = 2 * pi / freq;
      if (wavelen > low_wavelen) {
        freq = static_cast<float>(freq / c.scaling_factor);
      } else if (wavelen >= high_wavelen && c.high_freq_factor > c.low_freq_factor) {  // blend band (empty when equal)
        double const smooth = (orig / wavelen - c.low_freq_factor) / (c.high_freq_factor - c.low_freq_factor);
        freq = static_cast<float>((1 - smooth) * freq / c.scaling_factor + smooth * freq);
      }
    }
    f[static_cast<std::size_t>(j)] = freq;
  }
  return f;
}

void fill_rope_table(RoPEConfig const& c, float* out) {
  std::vector<float> const f = rope_frequencies(c);
  std::int64_t const half = c.dim / 2;
  for (std::int64_t p = 0; p < c.max_seq_len; ++p) {
    for (std::int64_t j = 0; j < half; ++j) {
      float const angle = static_cast<float>(p) * f[static_cast<std::size_t>(j)];
      out[2 * (p * half + j)] = static_cast<float>(std::cos(static_cast<double>(angle)));
      out[2 * (p * half + j) + 1] = static_cast<float>(std::sin(static_cast<double>(angle)));
    }
  }
}

}  // namespace titan
