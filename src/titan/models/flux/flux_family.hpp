// The Flux family: the FluxModel config with torchtitan's init rules and
// default placements, and its registry entry.
#pragma once

#include "titan/init/init_spec.hpp"
#include "titan/models/family.hpp"
#include "titan/models/flux/flux_args.hpp"
#include "titan/models/flux/flux_model.hpp"

namespace titan {

//! xavier_uniform_ (gain 1) of a Linear weight [out_features, in_features]:
//! uniform{a = -r, b = r}, r = sqrt(6 / (fan_in + fan_out)), fan_in =
//! in_features, fan_out = out_features.
InitSpec xavier_uniform(std::int64_t in_features, std::int64_t out_features);

//! The whole FluxModel config (model_families.md 4.6): xavier weights and
//! zero biases for img_in, txt_in, qkv, proj, the MLPs, linear1/linear2;
//! N(0, 0.02) weights and zero biases for time_in and vector_in; zeros for
//! the modulation and final-layer Linears; ones for the QK norms. Placements:
//! Shard(0) over dp_shard, Replicate over ep and tp, for every parameter
//! (FSDP only, 5.3 and 5.5).
flux::FluxModel::Config flux_config(FluxArgs const& args);

//! The registry entry. Its mesh check refuses tp > 1 and ep > 1.
Family flux_family();

}  // namespace titan
