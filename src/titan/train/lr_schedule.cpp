#include "titan/train/lr_schedule.hpp"

#include <algorithm>
#include <cfenv>
#include <cmath>

namespace titan {

LrSchedule make_lr_schedule(TrainSettings const& s, std::int64_t total_steps) {
  LrSchedule l;
  l.base_lr = s.lr;
  l.type = s.decay;
  l.min_factor = s.min_lr_factor;
  l.warmup = std::min(s.warmup_steps, total_steps);
  if (s.decay == LrDecay::none) {
    l.decay = 0;
  } else if (s.decay_ratio) {
    // Python's round(): ties to even.
    std::int64_t const d = static_cast<std::int64_t>(std::nearbyint(static_cast<double>(total_steps) * *s.decay_ratio));
    l.decay = std::min(d, total_steps - l.warmup);
  } else {
    l.decay = total_steps - l.warmup;
  }
  l.stable = total_steps + 1 - l.warmup - l.decay;  // torchtitan's virtual last step: the lr never reaches 0
  return l;
}

double LrSchedule::factor(std::int64_t step) const {
  std::int64_t const current = step - 1;  // torchtitan's 0-indexed current_step
  if (current < warmup) return static_cast<double>(current + 1) / static_cast<double>(warmup);
  if (current < warmup + stable) return 1.0;
  double const progress = static_cast<double>(current + 1 - (warmup + stable)) / static_cast<double>(decay);
  double f = 1.0;
  switch (type) {
    case LrDecay::linear: f = 1.0 - progress; break;
    case LrDecay::sqrt: f = 1.0 - std::sqrt(progress); break;
    case LrDecay::cosine: f = 0.5 * (1.0 + std::cos(M_PI * progress)); break;
    case LrDecay::none: f = 1.0; break;
  }
  return min_factor + (1.0 - min_factor) * f;
}

}  // namespace titan
