// The RoPE table against its closed form (spec 3.4).
#include "titan/modules/rope.hpp"

#include <catch2/catch.hpp>

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
