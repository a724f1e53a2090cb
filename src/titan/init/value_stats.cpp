#include "titan/init/value_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace titan {

ValueStats ValueStats::empty() {
  ValueStats s;
  s.min = std::numeric_limits<double>::infinity();
  s.max = -std::numeric_limits<double>::infinity();
  return s;
}

void ValueStats::merge(ValueStats const& o) {
  fingerprint += o.fingerprint;
  count += o.count;
  sum += o.sum;
  sum_sq += o.sum_sq;
  min = std::min(min, o.min);
  max = std::max(max, o.max);
  sum_c += o.sum_c;
  sum_sq_c += o.sum_sq_c;
}

void ValueStats::fold() {
  sum += sum_c;
  sum_sq += sum_sq_c;
  sum_c = sum_sq_c = 0.0;
}

double ValueStats::std() const {
  if (count <= 0) return 0.0;
  double const m = mean();
  double const var = sum_sq / count - m * m;
  return var > 0 ? std::sqrt(var) : 0.0;
}

std::string stats_disagree(ValueStats const& a, ValueStats const& b) {
  char buf[256];
  if (a.fingerprint != b.fingerprint) {
    std::snprintf(buf, sizeof buf, "fingerprint 0x%016llx vs 0x%016llx", static_cast<unsigned long long>(a.fingerprint),
                  static_cast<unsigned long long>(b.fingerprint));
    return buf;
  }
  auto differ = [&](char const* what, double x, double y, double tol) {
    if (x == y || std::fabs(x - y) <= tol) return false;  // (equal infinities: an empty set)
    std::snprintf(buf, sizeof buf, "%s %.17g vs %.17g", what, x, y);
    return true;
  };
  if (differ("count", a.count, b.count, 0.0) || differ("min", a.min, b.min, 0.0) || differ("max", a.max, b.max, 0.0))
    return buf;
  // Recursive summation of n terms in any order errs by at most (n - 1) u
  // sum |x_i| (u = 2^-53; Higham, Accuracy and Stability, 4.2), so two orders
  // differ by at most twice that; sum |x_i| <= sqrt(n sum x_i^2).
  double const n = std::max(a.count, 1.0), u = std::ldexp(1.0, -53);
  double const sq = std::max(a.sum_sq, b.sum_sq);
  if (differ("sum", a.sum, b.sum, 2 * n * u * std::sqrt(n * sq)) || differ("sum of squares", a.sum_sq, b.sum_sq, 2 * n * u * sq))
    return buf;
  return {};
}

}  // namespace titan
