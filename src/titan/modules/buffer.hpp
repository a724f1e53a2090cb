// A buffer: model state that is not a parameter (the RoPE table, MoE
// counters). Float32, replicated on every rank, never sharded; declared by
// the module that owns it (Module::add_buffer) and initialized by that
// module's init_own_buffers(), so the planner and the run count every
// buffer the same way.
#pragma once

#include "titan/core/types.hpp"
#include "titan/parallel/placement.hpp"

#include <memory>
#include <string>

namespace titan {

class Buffer {
 public:
  //! Describes the buffer; throws InputError when its element or byte count
  //! does not fit in 64 bits. Allocates nothing.
  Buffer(std::string fqn, Shape shape);

  std::string const& fqn() const { return _fqn; }
  Shape const& shape() const { return _shape; }
  std::int64_t numel() const { return _numel; }
  std::int64_t bytes() const { return _numel * static_cast<std::int64_t>(sizeof(float)); }

  //! Allocates numel() floats (uninitialized) and checks the View holds them.
  void allocate();
  bool allocated() const { return _data.size() == static_cast<std::size_t>(_numel) && _numel > 0; }
  //! Row-major over shape().
  View1<float> const& data() const { return _data; }

 private:
  std::string _fqn;
  Shape _shape;
  std::int64_t _numel = 0;
  View1<float> _data;
};

using BufferPtr = std::shared_ptr<Buffer>;

}  // namespace titan
