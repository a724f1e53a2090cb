#include "titan/modules/rope.hpp"

#include "titan/core/errors.hpp"

#include <algorithm>
#include <cmath>

namespace titan {

void RoPEConfig::validate(std::string const& where) const {
  require(dim > 0 && dim % 2 == 0, where + ": RoPE dim (head_dim) must be even and > 0 (got " + std::to_string(dim) + ")");
  require(max_seq_len > 0, where + ": max_seq_len must be > 0 (got " + std::to_string(max_seq_len) + ")");
  require(std::isfinite(theta) && theta > 1.0, where + ": rope_theta must be > 1 (got " + std::to_string(theta) + ")");
  require(scaling == "none" || scaling == "llama" || scaling == "yarn",
          where + ": rope_scaling = '" + scaling + "' is not known (use 'llama', 'yarn' or 'none')");
  if (scaling == "llama") {
    require(scaling_factor > 0, where + ": rope_scaling_factor must be > 0");
    require(low_freq_factor > 0 && high_freq_factor >= low_freq_factor,
            where + ": rope needs 0 < low_freq_factor <= high_freq_factor");
    require(original_max_position_embeddings > 0, where + ": original_max_position_embeddings must be > 0");
  }
  if (scaling == "yarn") {
    require(std::isfinite(rope_factor) && rope_factor >= 1.0,
            where + ": rope_factor must be >= 1 (1 = no YaRN scaling; got " + std::to_string(rope_factor) + ")");
    require(std::isfinite(beta_fast) && std::isfinite(beta_slow) && beta_slow > 0 && beta_fast > beta_slow,
            where + ": YaRN needs 0 < rope_beta_slow < rope_beta_fast (got " + std::to_string(beta_slow) + " and " +
                std::to_string(beta_fast) + ")");
    require(original_seq_len > 0, where + ": rope_original_seq_len must be > 0");
  }
}

std::pair<double, double> yarn_correction_range(RoPEConfig const& c) {
  double const pi = 3.14159265358979323846;
  double const dim = static_cast<double>(c.dim);
  auto correction_dim = [&](double rotations) {
    return dim * std::log(static_cast<double>(c.original_seq_len) / (rotations * 2 * pi)) / (2 * std::log(c.theta));
  };
  double lo = correction_dim(c.beta_fast), hi = correction_dim(c.beta_slow);
  if (c.truncate) {
    lo = std::floor(lo);
    hi = std::ceil(hi);
  }
  lo = std::max(lo, 0.0);
  hi = std::min(hi, dim - 1);
  if (lo == hi) hi += 0.001;
  return {lo, hi};
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
  if (c.scaling == "yarn" && c.rope_factor > 1.0) {
    // torch: ramp = ((arange(dim/2, float32) - lo) / (hi - lo)).clamp(0, 1), then
    // inv_freq / rope_factor * ramp + inv_freq * (1 - ramp), all in float32.
    auto const [lo, hi] = yarn_correction_range(c);
    float const lo32 = static_cast<float>(lo), width32 = static_cast<float>(hi - lo);
    float const factor32 = static_cast<float>(c.rope_factor);
    for (std::int64_t j = 0; j < c.dim / 2; ++j) {
      float const ramp = std::min(std::max((static_cast<float>(j) - lo32) / width32, 0.0f), 1.0f);
      float const base = f[static_cast<std::size_t>(j)];
      f[static_cast<std::size_t>(j)] = base / factor32 * ramp + base * (1.0f - ramp);
    }
  }
  return f;
}

float rope_table_value(std::vector<float> const& freqs, std::int64_t element) {
  std::int64_t const half = static_cast<std::int64_t>(freqs.size());
  std::int64_t const pair = element / 2;
  std::int64_t const p = pair / half, j = pair - p * half;
  float const angle = static_cast<float>(p) * freqs[static_cast<std::size_t>(j)];
  double const a = static_cast<double>(angle);
  return static_cast<float>(element % 2 == 0 ? std::cos(a) : std::sin(a));
}

void fill_rope_table(RoPEConfig const& c, float* out) {
  std::vector<float> const f = rope_frequencies(c);
  std::int64_t const n = c.max_seq_len * (c.dim / 2) * 2;
  for (std::int64_t e = 0; e < n; ++e) out[e] = rope_table_value(f, e);
}

}  // namespace titan
