// AdamW as torch.optim.AdamW computes it (decoupled weight decay,
// bias-corrected moments), on each rank's box of every parameter, with the
// moments in float32 ShardedTensors of the parameter's placements; a
// bfloat16 parameter keeps a float32 master that the update acts on, and is
// re-rounded from it after every step. Also the global gradient norm and
// torch's clip_grad_norm_ scaling.
#pragma once

#include "titan/compute/gradients.hpp"

#include <mpi.h>

#include <vector>

namespace titan {

struct AdamWHyper {
  double lr = 8e-4, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0.1;
};

class AdamW {
 public:
  //! One parameter's optimizer state: exp_avg and exp_avg_sq (float32, zeros
  //! at step 0), master (float32 copy of a bfloat16 parameter; null for float32).
  struct State {
    ParameterPtr param;
    ShardedTensorPtr exp_avg, exp_avg_sq, master;
  };

  //! Allocates the state of every parameter: zeroed moments, masters from
  //! the parameters' current values.
  AdamW(std::vector<ParameterPtr> const& params, Mesh const& mesh, int rank);

  //! Optimizer steps taken so far (torch's per-parameter `step`).
  std::int64_t step() const { return _step; }
  void set_step(std::int64_t s) { _step = s; }
  //! One step on every parameter from its gradient; then the step count is one more.
  void update(GradientSet const& grads, AdamWHyper const& h);
  //! After the masters were loaded: the bfloat16 parameters rounded from them again.
  void round_parameters_from_masters();
  std::vector<State> const& states() const { return _states; }
  std::int64_t local_bytes() const;

 private:
  std::vector<State> _states;
  std::int64_t _step = 0;
};

//! Collective: the L2 norm of every gradient element over all ranks, each
//! element counted once (primary replicas only), in float64.
double global_grad_norm(GradientSet const& grads, MPI_Comm comm);
//! Multiplies every gradient by `factor` (clip_grad_norm_'s clip coefficient).
void scale_gradients(GradientSet const& grads, double factor);
//! torch.nn.utils.clip_grad_norm_'s coefficient: max_norm / (norm + 1e-6), at most 1.
double clip_coefficient(double norm, double max_norm);

}  // namespace titan
