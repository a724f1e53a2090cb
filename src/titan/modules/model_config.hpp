// The root of a model's config tree, whatever the family: a Decoder for the
// language models, a FluxModel for Flux. The driver, the planner and the
// memory guard build models only through this.
#pragma once

#include <memory>

namespace titan {

class Module;
struct BuildContext;

struct ModelConfig {
  virtual ~ModelConfig() = default;
  //! Builds the whole module tree (allocating local shards unless ctx says dry run).
  virtual std::unique_ptr<Module> build_model(BuildContext const& ctx) const = 0;
};

}  // namespace titan
