#include "titan/init/init_range.hpp"

#include "titan/core/echo.hpp"

#include "titan/core/errors.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace titan {
namespace {

std::string g(double v) { return number_text(v); }

double phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

constexpr double float_max = static_cast<double>(std::numeric_limits<float>::max());

}  // namespace

double storage_max(DType dtype) {
  return dtype == DType::bfloat16 ? 3.3895313892515355e38 : float_max;  // bf16: 0x7F7F
}

void check_init_range(InitSpec const& spec, DType dtype, std::string const& where) {
  double const m = storage_max(dtype);
  std::string const type = dtype_name(dtype);
  std::string const range = " (" + type + " holds magnitudes up to " + g(m) + ")";
  auto normal_reach = [&](double limit, std::string const& in) {
    double const reach = std::fabs(spec.mean) + 40 * spec.std;
    require(std::isfinite(reach) && reach <= limit,
            where + ": " + init_kind_name(spec.kind) + "(mean=" + g(spec.mean) + ", std=" + g(spec.std) +
                ") reaches |mean| + 40 std = " + g(reach) + ", beyond " + in);
  };
  switch (spec.kind) {
    case InitKind::normal: normal_reach(m, "the finite values of " + type + range); break;
    case InitKind::trunc_normal: {
      require(std::fabs(spec.a) <= m && std::fabs(spec.b) <= m,
              where + ": trunc_normal bounds a=" + g(spec.a) + ", b=" + g(spec.b) + " are not finite in " + type + range);
      normal_reach(float_max, "float32, in which the sampler works");
      double const lo = phi((spec.a - spec.mean) / spec.std);
      double const hic = phi(-(spec.b - spec.mean) / spec.std);
      double const p = 1.0 - lo - hic;
      // The sampler forms p = lo + P U (or 1 - p = hic + P U) in float32.
      double const start = std::fmax(static_cast<float>(lo), static_cast<float>(hic));
      double const ulp = std::nextafter(static_cast<float>(start), 2.0f) - static_cast<float>(start);
      // Why [a, b] holds so little: it lies far in one tail, or it is narrow
      // (also around the mean) next to std.
      bool const in_a_tail = spec.a >= spec.mean || spec.b <= spec.mean;
      require(std::isfinite(p) && p > 0 && p >= 1024 * ulp,
              where + ": trunc_normal(mean=" + g(spec.mean) + ", std=" + g(spec.std) + ", a=" + g(spec.a) +
                  ", b=" + g(spec.b) + ") " +
                  (in_a_tail ? "puts [a, b] so far in one tail that it holds probability "
                             : "makes [a, b] so narrow next to std (b - a = " + g((spec.b - spec.a) / spec.std) +
                                   " std) that it holds probability ") +
                  g(p) + ", too little for the float32 sampler to resolve (it needs at least " + g(1024 * ulp) + "); " +
                  (in_a_tail ? "move a or b toward the mean or raise std" : "widen [a, b] or lower std"));
      break;
    }
    case InitKind::uniform:
      require(std::fabs(spec.a) <= m && std::fabs(spec.b) <= m && spec.b - spec.a <= float_max,
              where + ": uniform(a=" + g(spec.a) + ", b=" + g(spec.b) + ") is not finite in " + type + range +
                  " or its width b - a overflows float32, in which the sampler works");
      break;
    case InitKind::constant:
      require(std::fabs(spec.value) <= m,
              where + ": constant value " + g(spec.value) + " is not finite in " + type + range);
      break;
    default: break;
  }
}

}  // namespace titan
