// The RoPE table against its closed form (spec 3.4).
#include "titan/modules/rope.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace titan;

TEST_CASE("Llama scaling: hd=128, theta=5e5 scales j >= 35 by 1/8, keeps j <= 28, blends 29..34", "[rope]") {
  RoPEConfig c;
  c.dim = 128;
  c.theta = 500000.0;
  std::vector<float> const f = rope_frequencies(c);
  REQUIRE(f.size() == 64);
  for (int j = 0; j < 64; ++j) {
    double const base = 1.0 / std::pow(500000.0, 2.0 * j / 128.0);
    if (j <= 28) CHECK(f[j] == Approx(base).epsilon(1e-6));
    else if (j >= 35) CHECK(f[j] == Approx(base / 8).epsilon(1e-6));
    else {
      CHECK(f[j] < base * (1 - 1e-6));
      CHECK(f[j] > base / 8 * (1 + 1e-6));
    }
  }
}

TEST_CASE("freqs_cis[p, j] = (cos(p f_j), sin(p f_j))", "[rope]") {
  RoPEConfig c;
  c.dim = 16;
  c.max_seq_len = 2048;
  c.theta = 500000.0;
  c.scaling = "none";
  std::vector<float> table(static_cast<std::size_t>(c.max_seq_len * c.dim));
  fill_rope_table(c, table.data());
  double worst = 0;
  for (int p = 0; p < c.max_seq_len; ++p)
    for (int j = 0; j < 8; ++j) {
      double const f = 1.0 / std::pow(500000.0, 2.0 * j / 16.0);
      double const angle = p * f;
      // float32 angle = p * f rounded: allow its rounding error on top of float output rounding.
      double const tol = 2e-7 + std::fabs(angle) * 2e-7;
      double const dc = std::fabs(table[2 * (p * 8 + j)] - std::cos(angle));
      double const ds = std::fabs(table[2 * (p * 8 + j) + 1] - std::sin(angle));
      worst = std::max(worst, std::max(dc, ds) / tol);
    }
  CHECK(worst <= 1.0);
}

TEST_CASE("low == high freq factor leaves no blend band (no NaN)", "[rope]") {
  RoPEConfig c;
  c.dim = 16;
  c.scaling_factor = 16;
  c.low_freq_factor = 1;
  c.high_freq_factor = 1;
  for (float f : rope_frequencies(c)) CHECK(std::isfinite(f));
}

TEST_CASE("YaRN (spec 3.4): DeepSeek dim 64, theta 1e4 ramps from j = 10 to 23; gpt-oss untruncated", "[rope][yarn]") {
  RoPEConfig c;
  c.dim = 64;
  c.theta = 10000.0;
  c.scaling = "yarn";
  c.rope_factor = 40;
  c.beta_fast = 32;
  c.beta_slow = 1;
  c.original_seq_len = 4096;
  c.truncate = true;
  // The spec's worked numbers.
  auto const [lo, hi] = yarn_correction_range(c);
  CHECK(lo == 10.0);
  CHECK(hi == 23.0);
  // Independently: c(r) = dim ln(orig / (2 pi r)) / (2 ln theta) before truncation.
  double const pi = 3.14159265358979323846;
  auto corr = [&](double r, double theta) { return 64 * std::log(4096 / (2 * pi * r)) / (2 * std::log(theta)); };
  CHECK(std::floor(corr(32, 1e4)) == 10.0);
  CHECK(std::ceil(corr(1, 1e4)) == 23.0);
  std::vector<float> const f = rope_frequencies(c);
  REQUIRE(f.size() == 32);
  for (int j = 0; j < 32; ++j) {
    INFO("j = " << j);
    double const base = 1.0 / std::pow(10000.0, 2.0 * j / 64.0);
    double const ramp = std::min(std::max((j - 10.0) / 13.0, 0.0), 1.0);
    double const want = base / 40 * ramp + base * (1 - ramp);  // j <= 10 unchanged, j >= 23 divided by 40
    CHECK(f[j] == Approx(want).epsilon(2e-6));
  }
  CHECK(f[10] == Approx(1.0 / std::pow(10000.0, 20.0 / 64.0)).epsilon(2e-6));
  CHECK(f[23] == Approx(1.0 / std::pow(10000.0, 46.0 / 64.0) / 40).epsilon(2e-6));
  // gpt-oss: dim 64, theta 150000, no truncation: lo = 8.0928, hi = 17.3980.
  c.theta = 150000.0;
  c.truncate = false;
  auto const [lo2, hi2] = yarn_correction_range(c);
  CHECK(lo2 == Approx(8.0928).margin(1e-4));
  CHECK(hi2 == Approx(17.3980).margin(1e-4));
  CHECK(lo2 == Approx(corr(32, 150000.0)).epsilon(1e-12));
  // rope_factor 1: no scaling at all.
  c.rope_factor = 1;
  RoPEConfig none = c;
  none.scaling = "none";
  CHECK(rope_frequencies(c) == rope_frequencies(none));
}

TEST_CASE("YaRN table rows are cos/sin of p f_j", "[rope][yarn]") {
  RoPEConfig c;
  c.dim = 64;
  c.max_seq_len = 16;
  c.theta = 10000.0;
  c.scaling = "yarn";
  c.rope_factor = 40;
  std::vector<float> table(static_cast<std::size_t>(c.max_seq_len * c.dim));
  fill_rope_table(c, table.data());
  std::vector<float> const f = rope_frequencies(c);
  for (int p = 0; p < 16; ++p)
    for (int j = 0; j < 32; ++j) {
      CHECK(table[2 * (p * 32 + j)] == Approx(std::cos(p * static_cast<double>(f[j]))).margin(1e-6));
      CHECK(table[2 * (p * 32 + j) + 1] == Approx(std::sin(p * static_cast<double>(f[j]))).margin(1e-6));
    }
}
