#include "titan/app/progress.hpp"

#include <cstdio>

namespace titan {

Progress::Progress(std::string phase, double total, bool enabled, double interval_s)
    : _phase(std::move(phase)), _total(total), _interval(interval_s), _enabled(enabled),
      _start(std::chrono::steady_clock::now()) {}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - _start).count();
}

void Progress::advance(double units) {
  _done += units;
  if (!_enabled) return;
  double const t = elapsed();
  if (t - _last < _interval) return;
  _last = t;
  _printed = true;
  double const frac = _total > 0 ? _done / _total : 1.0;
  double const eta = frac > 0 ? t / frac - t : 0.0;
  std::fprintf(stderr, "[titan] %s: %5.1f%% of rank 0's work, %.1f s elapsed, ~%.1f s left\n", _phase.c_str(),
               100.0 * frac, t, eta);
  std::fflush(stderr);
}

void Progress::finish() {
  if (_enabled && _printed) {
    std::fprintf(stderr, "[titan] %s: done in %.1f s\n", _phase.c_str(), elapsed());
    std::fflush(stderr);
  }
}

}  // namespace titan
