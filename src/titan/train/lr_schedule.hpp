// torchtitan's learning-rate schedule (components/optimizer/lr_scheduler.py,
// linear_warmup_stable_decay): a linear warmup, a stable phase, a decay
// (linear, sqrt or cosine) towards min_lr_factor, as the multiplier LambdaLR
// applies to the base learning rate. Host-only.
#pragma once

#include "titan/train/train_settings.hpp"

#include <cstdint>

namespace titan {

struct LrSchedule {
  double base_lr = 0;
  std::int64_t warmup = 0, stable = 0, decay = 0;  // steps of each phase (torchtitan's, with its virtual last step)
  LrDecay type = LrDecay::linear;
  double min_factor = 0;

  //! The multiplier of optimizer step `step` (1 = the first step; LambdaLR
  //! gives the k-th step the factor of current_step = k - 1).
  double factor(std::int64_t step) const;
  double lr(std::int64_t step) const { return base_lr * factor(step); }
};

//! The schedule of `total_steps` steps: warmup clamped to total_steps,
//! decay over the last round(total_steps * decay_ratio) steps (clamped to
//! what the warmup leaves) or over all steps after the warmup.
LrSchedule make_lr_schedule(TrainSettings const& s, std::int64_t total_steps);

}  // namespace titan
