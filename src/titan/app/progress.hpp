// Progress lines on rank 0 (stderr) for phases that can take long.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace titan {

class Progress {
 public:
  //! `total` units of work on this rank; prints only on rank 0 when enabled,
  //! at most every `interval_s` seconds, and only once the phase has run
  //! for that long (short phases stay silent).
  Progress(std::string phase, double total, bool enabled, double interval_s = 2.0);
  void advance(double units);
  //! Prints a closing line if any progress line was printed.
  void finish();

 private:
  double elapsed() const;
  std::string _phase;
  double _total, _done = 0, _interval, _last = 0;
  bool _enabled, _printed = false;
  std::chrono::steady_clock::time_point _start;
};

}  // namespace titan
