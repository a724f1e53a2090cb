// The float32 fast paths against double-precision references.
#include "titan/init/fast_normal.hpp"
#include "titan/init/init_spec.hpp"
#include "titan/init/inverse_normal.hpp"
#include "titan/init/philox_chunk.hpp"
#include "titan/init/samplers.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace titan;

TEST_CASE("fast_log is accurate to float rounding for x in (0, 1)", "[init]") {
  double worst_rel = 0, worst_abs = 0;
  for (double x = 1e-37; x <= 1.0; x *= 1.00003) {
    float const f = static_cast<float>(x);
    double const ref = std::log(static_cast<double>(f));
    double const err = std::fabs(fast_log(f) - ref);
    if (std::fabs(ref) > 0.1) worst_rel = std::max(worst_rel, err / std::fabs(ref));
    else worst_abs = std::max(worst_abs, err);
  }
  CHECK(worst_rel < 3e-7);
  CHECK(worst_abs < 2e-7);  // near x = 1 the value is tiny: absolute error matters
  CHECK(fast_log(1.0f) == 0.0f);
}

TEST_CASE("normal_tail_quantile matches AS 241 down to the deep-tail threshold", "[init]") {
  double worst = 0;
  for (double t = 0.5; t >= deep_tail; t *= 0.9999) {
    float const tf = static_cast<float>(t);
    double const ref = inverse_normal_cdf(static_cast<double>(tf));
    double const v = normal_tail_quantile(tf);
    // Relative error, with an absolute floor near t = 1/2 where the value is ~0.
    worst = std::max(worst, std::fabs(v - ref) / std::max(std::fabs(ref), 1e-2));
  }
  CHECK(worst < 1e-6);
}

TEST_CASE("the sampler's deep-tail path keeps 6-sigma accuracy", "[init]") {
  NormalSampler const s{0.0f, 1.0f, 0.0f, 1.0f, 0.0f};
  // r = 0: the smallest probability, (0 + 1/2) / 2^32.
  CHECK(s(0u) == Approx(inverse_normal_cdf(0.5 / 4294967296.0)).epsilon(1e-6));
  CHECK(s(0xFFFFFFFFu) == Approx(-inverse_normal_cdf(0.5 / 4294967296.0)).epsilon(1e-6));
  // Symmetric: bits r and ~r give opposite values.
  for (std::uint32_t r : {1u, 12345u, 0x7FFFFFFFu, 0x40000000u, 0x00001000u})
    CHECK(s(r) == -s(~r));
}

TEST_CASE("truncated sampler: probabilities map into [Phi(a'), Phi(b')]", "[init]") {
  InitSpec const spec = InitSpec::trunc_normal(0.0, 1.0, 0.5, 3.0);  // asymmetric, p crosses 1/2 nowhere
  NormalSampler const s = make_normal_sampler(spec);
  for (std::uint32_t r : {0u, 1u, 1000u, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFEu, 0xFFFFFFFFu}) {
    float const v = s(r);
    CHECK(v >= 0.5f - 1e-5f);
    CHECK(v <= 3.0f + 1e-4f);
  }
  CHECK(s(0u) < s(0xFFFFFFFFu));  // monotone in the probability
}

TEST_CASE("the host chunk's central-branch values are operator()'s wherever it does not flag the word", "[init]") {
  // chunk_values computes only the quantile's central branch (w < 5) and
  // flags the rest for the kernel to redo with operator(); the kernel's bits
  // are operator()'s only if every unflagged value equals operator()'s and
  // every word on the tail branch or in the deep tail is flagged. Words: a
  // sweep over all 2^32 (stride 997), the ends (deep tail), and a dense run
  // across the branch boundary w = 5 (t near 0.0017, both halves).
  std::vector<std::uint32_t> words;
  for (std::uint64_t r = 0; r < (1ull << 32); r += 997) words.push_back(static_cast<std::uint32_t>(r));
  for (std::uint32_t r = 0; r < 4096; ++r) {
    words.push_back(r);
    words.push_back(~r);
  }
  // d = r / 2^32 (bottom half) crosses t = 0.0017 near r = 0.0017 * 2^32.
  std::uint32_t const edge = static_cast<std::uint32_t>(0.0017 * 4294967296.0);
  for (std::uint32_t r = edge - 200000; r < edge + 200000; ++r) {
    words.push_back(r);
    words.push_back(~r);
  }
  while (words.size() % philox_chunk_words) words.push_back(12345u);
  struct Case {
    char const* what;
    InitSpec spec;
    double tail_fraction;  // expected flagged fraction of uniform words (the sweep), 0 = none
  } const cases[] = {
      {"normal(0, 1)", InitSpec::normal(0.0, 1.0), 2 * 0.00169},
      {"trunc_normal(0, 0.02, +-2)", InitSpec::trunc_normal(0.0, 0.02, -2.0, 2.0), 2 * 0.00169},
      {"trunc_normal(0, s, +-3s)", InitSpec::trunc_normal(0.0, 0.015625, -0.046875, 0.046875), -1},
      {"trunc_normal(0, 1, 0.5, 3), asymmetric", InitSpec::trunc_normal(0.0, 1.0, 0.5, 3.0), -1},
      {"trunc_normal(0, 1, +-2): never flagged", InitSpec::trunc_normal(0.0, 1.0, -2.0, 2.0), 0},
  };
  for (Case const& c : cases) {
    NormalSampler const s = make_normal_sampler(c.spec);
    std::size_t flagged = 0, flagged_sweep = 0, mismatches = 0, tail_unflagged = 0;
    std::size_t const sweep = (1ull << 32) / 997 + 1;
    for (std::size_t b = 0; b < words.size(); b += philox_chunk_words) {
      float out[philox_chunk_words];
      std::int32_t rare[philox_chunk_words];
      s.chunk_values<philox_chunk_words>(words.data() + b, out, rare);
      for (int i = 0; i < philox_chunk_words; ++i) {
        std::uint32_t const r = words[b + i];
        float t;
        bool upper;
        s.tail(r, t, upper);
        bool const tail_branch = !(erfinv_w(t) < erfinv_central_w) || t < deep_tail;
        flagged += rare[i] != 0;
        if (b + i < sweep) flagged_sweep += rare[i] != 0;
        tail_unflagged += tail_branch && !rare[i];
        if (!rare[i]) mismatches += float_bits(out[i]) != float_bits(s(r));
      }
    }
    INFO(c.what << ": " << flagged << " flagged of " << words.size());
    CHECK(mismatches == 0);
    CHECK(tail_unflagged == 0);
    if (c.tail_fraction > 0)
      CHECK(static_cast<double>(flagged_sweep) / sweep == Approx(c.tail_fraction).epsilon(0.02));
    if (c.tail_fraction == 0) CHECK(flagged == 0);
  }
}
