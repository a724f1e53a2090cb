// A part of a transformer block (attention, feed-forward, MoE, a norm): the
// block holds a list of named parts in the family's registration order and
// builds each with the model width, so a family chooses what a layer is made
// of (dense or MoE, with or without q/k norms) without the block knowing.
#pragma once

#include "titan/modules/build_context.hpp"

#include <cstdint>
#include <memory>

namespace titan {

class Module;

struct BlockPart {
  virtual ~BlockPart() = default;
  //! Builds the part of a block of width `dim` under `ctx` (the part's FQN prefix).
  virtual std::unique_ptr<Module> build_part(BuildContext const& ctx, std::int64_t dim) const = 0;
};

}  // namespace titan
