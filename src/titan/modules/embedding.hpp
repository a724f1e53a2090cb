// Embedding: weight [num_embeddings, embedding_dim].
#pragma once

#include "titan/compute/step_context.hpp"
#include "titan/modules/module.hpp"

#include <optional>

namespace titan {

class Embedding final : public Module {
 public:
  struct Config : ModuleConfig {
    std::optional<std::int64_t> num_embeddings;  // usually passed by the parent (vocab_size)
    std::optional<std::int64_t> embedding_dim;   // usually passed by the parent (dim)
    //! Builds the module. `tied` (a run-time object) makes the weight the
    //! same tensor as another parameter (weight tying); its initializer must
    //! then be 'skip'.
    std::unique_ptr<Embedding> build(BuildContext const& ctx, BuildArgs args = {}, ParameterPtr tied = nullptr) const;
  };

  char const* type_name() const override { return "Embedding"; }
  std::int64_t num_embeddings() const { return _num_embeddings; }
  std::int64_t embedding_dim() const { return _embedding_dim; }
  ParameterPtr const& weight() const { return _weight; }

  //! x [N, D] = rows of the weight for ctx.tokens, gathered in chunks of `chunk_rows` rows.
  Act forward(StepContext& ctx, std::int64_t chunk_rows);
  //! Adds dL/dweight for dx [N, D] (per chunk, summed in a fixed order).
  void backward(StepContext& ctx, Act const& dx, std::int64_t chunk_rows);

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  Embedding(Config const& config, BuildContext const& ctx, BuildArgs& args, ParameterPtr tied);
  std::int64_t _num_embeddings = 0, _embedding_dim = 0;
  ParameterPtr _weight;  // [num_embeddings, embedding_dim]
};

}  // namespace titan
