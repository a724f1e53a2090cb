// The deck's [train] table and the --train option, as a plain struct (no
// Kokkos, no TOML). Defaults are torchtitan's (AdamW, its learning-rate
// schedule and gradient clipping), docs/training.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace titan {

enum class LrDecay { none, linear, sqrt, cosine };
enum class ActivationCheckpointing { none, full };

struct TrainSettings {
  bool enabled = false;          // --train, or steps > 0 in the deck
  //! The last step (torchtitan's training.steps): a run resumed at step k
  //! runs steps k+1 .. steps. 0 with --train: default_train_steps.
  std::int64_t steps = 0;
  //! The length of the learning-rate schedule (torchtitan's
  //! lr_scheduler.total_steps); unset = steps.
  std::optional<std::int64_t> total_steps;
  std::int64_t batch = 2;        // B sequences per step (over all data-parallel ranks)
  std::int64_t seq_len = 64;     // T tokens per sequence
  std::uint64_t tokens_seed = 0; // key of the generated tokens (a new batch each step)
  std::string tokens_file;       // I64 'tokens' [B, T] (every step) or [S, B, T] (batch s at step s); "" = generate
  // AdamW (torch.optim.AdamW), torchtitan's defaults.
  double lr = 8e-4;
  double beta1 = 0.9, beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;     // on every parameter
  double max_norm = 1.0;         // global gradient norm clipping; 0 = none
  // torchtitan's linear warmup, stable, decay schedule.
  std::int64_t warmup_steps = 200;          // clamped to the number of steps
  LrDecay decay = LrDecay::linear;
  std::optional<double> decay_ratio;        // unset: decay right after the warmup
  double min_lr_factor = 0.0;
  ActivationCheckpointing activation_checkpointing = ActivationCheckpointing::none;
  //! Start the next block's gather before the current block computes
  //! (non-blocking; docs/parallelism.md). false: each gather when needed.
  bool prefetch = true;
  //! The first step's gradients (before clipping), every tensor whole as
  //! float32 under its FQN, written by rank 0 as safetensors ("" = none):
  //! for checking the backward pass on small models.
  std::string dump_gradients;
};

//! Steps run by --train when the deck gives none.
constexpr std::int64_t default_train_steps = 10;

char const* lr_decay_name(LrDecay d);
char const* activation_checkpointing_name(ActivationCheckpointing a);

}  // namespace titan
