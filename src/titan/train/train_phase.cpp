#include "titan/train/train_phase.hpp"

#include "titan/core/errors.hpp"

#include <cstdio>

namespace titan {

std::int64_t last_train_step(TrainSettings const& s, std::int64_t loaded_step) {
  return s.steps > 0 ? s.steps : loaded_step + default_train_steps;
}

TrainReport train_phase(Module& model, Mesh const& mesh, MPI_Comm comm, TrainTokens const& tokens, AdamW& optimizer,
                        TrainPhaseInput const& in, double& local_seconds) {
  TrainRun run;
  run.settings = in.settings;
  run.mpi_device_pointers = in.mpi_device_pointers;
  run.first_step = in.loaded_step + 1;
  run.last_step = last_train_step(in.settings, in.loaded_step);
  run.schedule_steps = in.settings.total_steps.value_or(run.last_step);
  run.fail_module = in.fail_module;
  require(run.last_step >= run.first_step,
          "[train] steps = " + std::to_string(run.last_step) + " but the loaded checkpoint is at step " +
              std::to_string(in.loaded_step) + ": no step left to run (steps is the last step, as torchtitan's training.steps)");
  require(run.schedule_steps >= run.last_step,
          "[train] total_steps = " + std::to_string(run.schedule_steps) + " is shorter than the last step " +
              std::to_string(run.last_step) + " (the learning-rate schedule would run past its end)");
  std::int64_t const count = run.last_step - run.first_step + 1;
  if (in.progress)
    run.after_step = [count, first = run.first_step](TrainStepRecord const& r, double tokens_per_s) {
      std::fprintf(stderr, "[titan] train step %lld (%lld/%lld): loss %.6f, grad norm %.4g, lr %.4g, %.4g tokens/s, %.3f s",
                   static_cast<long long>(r.step), static_cast<long long>(r.step - first + 1),
                   static_cast<long long>(count), r.loss, r.grad_norm, r.lr, tokens_per_s, r.seconds);
      if (r.moe_rows_mean > 0)  // the experts' load: (token, expert) rows computed per rank
        std::fprintf(stderr, ", expert rows per rank max %.0f mean %.4g (imbalance %.3f)", r.moe_rows_max,
                     r.moe_rows_mean, r.moe_rows_max / r.moe_rows_mean);
      std::fprintf(stderr, "\n");
      std::fflush(stderr);
    };
  double const t0 = MPI_Wtime();
  TrainReport report = run_training(model, mesh, comm, tokens, optimizer, run);
  local_seconds = MPI_Wtime() - t0;
  return report;
}

}  // namespace titan
