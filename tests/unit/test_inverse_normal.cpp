// AS 241 against the normal CDF computed independently with erfc.
#include "titan/init/inverse_normal.hpp"

#include <catch2/catch.hpp>

#include <cmath>

namespace {
double cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
}  // namespace

TEST_CASE("inverse_normal_cdf inverts the normal CDF over the central region and both tails", "[init]") {
  double worst = 0.0;
  for (int i = 1; i < 200000; ++i) {
    double const p = i / 200000.0;
    double const back = cdf(titan::inverse_normal_cdf(p));
    worst = std::max(worst, std::fabs(back - p) / std::min(p, 1 - p));
  }
  CHECK(worst < 1e-12);
  for (double p : {1e-10, 1e-20, 1e-100, 1e-300}) {
    double const x = titan::inverse_normal_cdf(p);
    CHECK(cdf(x) == Approx(p).epsilon(1e-12));
  }
  // The upper tail mirrors the lower one (p = 2^-k so that 1 - p is exact).
  for (double p : {std::ldexp(1.0, -30), std::ldexp(1.0, -45)})
    CHECK(titan::inverse_normal_cdf(1 - p) == Approx(-titan::inverse_normal_cdf(p)).epsilon(1e-6));
}

TEST_CASE("inverse_normal_cdf known quantiles", "[init]") {
  CHECK(titan::inverse_normal_cdf(0.5) == 0.0);
  CHECK(titan::inverse_normal_cdf(0.975) == Approx(1.959963984540054).epsilon(1e-14));
  CHECK(titan::inverse_normal_cdf(0.8413447460685429) == Approx(1.0).epsilon(1e-13));
  CHECK(titan::inverse_normal_cdf(0.025) == Approx(-1.959963984540054).epsilon(1e-14));
}
