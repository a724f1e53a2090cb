// FSDP-style gathering of a parameter's full value from its shards: every
// rank that holds the primary replica of a box contributes it; every rank
// receives all boxes (MPI_Allgatherv over the world) and unpacks each one
// at the place local_box() gives for its owner. Values are widened to float32.
#pragma once

#include "titan/core/types.hpp"
#include "titan/tensor/sharded_tensor.hpp"
#include "titan/parallel/mesh.hpp"

#include <mpi.h>

#include <vector>

namespace titan {

class ParamGather {
 public:
  ParamGather(Mesh const& mesh, MPI_Comm comm);

  //! True when every rank holds all of `p` in float32 (then no gather is
  //! needed and its local View can be read directly). Same answer on every rank.
  bool fully_local(ShardedTensor const& p) const;
  //! Collective over the communicator: writes rows [r0, r1) of dim 0 of p's
  //! global tensor (all of the other dims), row-major, as float32 to `out`
  //! (memory of MemSpace, (r1 - r0) * row_numel floats).
  //! Packing and unpacking run inside collective(): a failure on one rank
  //! is a CollectiveError on every rank, never a rank missing the Allgatherv.
  void rows(ShardedTensor const& p, std::int64_t r0, std::int64_t r1, float* out);
  //! Allocates the staging for gathers of up to `elems` elements now, so
  //! that rows() never allocates.
  void reserve(std::int64_t elems);
  //! Bytes of host staging buffers held (for the memory plan).
  std::int64_t staging_bytes() const;
  //! Bytes this rank contributed to the last rows() call.
  std::int64_t last_send_bytes() const { return static_cast<std::int64_t>(_send.size() * sizeof(float)); }

 private:
  Mesh _mesh;
  MPI_Comm _comm;
  int _rank = 0, _size = 1;
  std::vector<float> _send, _recv, _host_out;
};

}  // namespace titan
