// What a rank will allocate, found before allocating: a build of the model
// that allocates nothing (the same layouts the real build allocates from).
#pragma once

#include "titan/modules/build_context.hpp"
#include "titan/modules/model_config.hpp"

#include <cstdint>
#include <memory>

namespace titan {

class Module;

struct RankPlan {
  std::int64_t local_bytes = 0;   //!< this rank's parameter shards plus its copy of the buffers
  std::int64_t model_params = 0;  //!< parameters of the whole model (a tied weight once)
  std::int64_t buffer_bytes = 0;  //!< of local_bytes, the buffers (replicated on every rank)
  //! The allocation-free build itself: the phases' plans ask its modules
  //! for their activation bytes.
  std::shared_ptr<Module const> model;
};

//! Builds `config` with `ctx` but allocate = false, matching the deck
//! overrides on a copy (so the real build still counts its own matches).
//! Throws what the real build would throw for a bad config.
RankPlan plan_rank_memory(ModelConfig const& config, BuildContext ctx);

}  // namespace titan
