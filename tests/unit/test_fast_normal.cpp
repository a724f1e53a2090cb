// The float32 fast paths against double-precision references.
#include "titan/init/fast_normal.hpp"
#include "titan/init/inverse_normal.hpp"
#include "titan/init/samplers.hpp"

#include <catch2/catch.hpp>

#include <cmath>

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
