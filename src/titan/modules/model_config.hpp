// The root of a model's config tree, whatever the family: a Decoder for the
// language models, a FluxModel for Flux. The driver, the planner and the
// memory guard build models only through this.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

namespace titan {

class Module;
struct BuildContext;

//! What the tokens of a language model must fit: ids in [0, vocab_size),
//! sequences of at most max_seq_len positions (the RoPE table's rows).
struct TokenShape {
  std::int64_t vocab_size = 0, max_seq_len = 0;
};

struct ModelConfig {
  virtual ~ModelConfig() = default;
  //! The token shape of a language model; none for a model that takes no tokens (Flux).
  virtual std::optional<TokenShape> token_shape() const { return std::nullopt; }
  //! Builds the whole module tree (allocating local shards unless ctx says dry run).
  virtual std::unique_ptr<Module> build_model(BuildContext const& ctx) const = 0;
};

}  // namespace titan
