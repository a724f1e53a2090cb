// torchtitan's auxiliary-loss-free load balancing of MoE layers
// (components/optimizer/optimizer.py, _update_expert_bias), run before each
// optimizer step: the tokens routed to each expert in the step, summed over
// the data-parallel ranks, move the expert's bias (used for choosing
// experts only) towards the mean:
//   delta = coeff * sign(mean(tokens) - tokens); delta -= mean(delta);
//   expert_bias += delta; tokens = 0.
#pragma once

#include "titan/modules/moe.hpp"

#include <mpi.h>

#include <vector>

namespace titan {

//! Every MoE layer of the model, in module order.
std::vector<MoE*> moe_layers(Module& model);
std::vector<MoE const*> moe_layers(Module const& model);

//! Collective: the update above for every layer with a load_balance_coeff.
//! Returns, per layer, the tokens each expert received in the step (summed over ranks).
std::vector<std::vector<float>> update_expert_biases(std::vector<MoE*> const& layers, MPI_Comm comm);

}  // namespace titan
