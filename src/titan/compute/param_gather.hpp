// FSDP-style gathering of a parameter's full value from its shards: over the
// parameter's shard group (shard_group.hpp: the ranks that differ only along
// the mesh dimensions that shard it, one whole replica) every member
// contributes its box and receives all of them (MPI_Allgatherv), unpacking
// each at the place local_box() gives for its owner. A parameter no mesh
// dimension shards is widened locally, without communication. Values are
// widened to float32. A gather may keep mesh dimensions out of the group
// (`keep`, shard_group.hpp): it then assembles only the region this rank's
// coordinates select along them (expert parallelism: its own experts' rows,
// keep = ep; tensor-parallel compute: its tp slice, keep = tp).
#pragma once

#include "titan/core/types.hpp"
#include "titan/tensor/sharded_tensor.hpp"
#include "titan/parallel/mesh_comm.hpp"

#include <mpi.h>

#include <vector>

namespace titan {

class ParamGather {
 public:
  //! `mc` must outlive the ParamGather.
  explicit ParamGather(MeshComm const& mc);

  //! True when this rank holds, in float32, all of the region a gather of `p`
  //! keeping the mesh dimensions `keep` assembles (kept_region(): all of `p`
  //! for keep = 0): no other mesh dimension of size > 1 shards it, so no
  //! gather is needed and its local View can be read directly. Same answer
  //! on every rank.
  bool fully_local(ShardedTensor const& p, MeshDimMask keep = 0) const;
  //! Collective over the world (every rank calls it for the same p, r0, r1): writes rows [r0, r1) of dim 0 of p's
  //! global tensor (all of the other dims), row-major, as float32 to `out`
  //! (memory of MemSpace, (r1 - r0) * row_numel floats).
  //! Packing and unpacking run inside collective(): a failure on one rank
  //! is a CollectiveError on every rank, never a rank missing the Allgatherv.
  void rows(ShardedTensor const& p, std::int64_t r0, std::int64_t r1, float* out);
  //! The same for any `region` of p's global tensor (row-major over the
  //! region's extents), over the shard group without the mesh dimensions in
  //! `keep` (shard_group.hpp): region = kept_region(..., keep) assembles this
  //! rank's tp slice for tensor-parallel compute (keep = tp), 0 the whole.
  void region(ShardedTensor const& p, Box const& region, MeshDimMask keep, float* out);
  //! The region of rows [r0, r1) of dim 0, all of the other dims.
  static Box rows_region(Shape const& shape, std::int64_t r0, std::int64_t r1);
  //! One parameter's gather, posted and not yet unpacked, with its own buffers.
  struct InFlight {
    ShardedTensor const* p = nullptr;
    Box region;
    int group_size = 1, group_rank = 0;
    std::vector<Box> boxes;
    std::vector<int> counts, displs;
    std::vector<float> send, recv, host_out;
    MPI_Request request = MPI_REQUEST_NULL;
    std::int64_t sent_bytes = 0;
    std::int64_t staging_bytes() const;
  };
  //! rows() in two halves, so that compute can run in between: start() packs
  //! this rank's part and posts a non-blocking MPI_Iallgatherv (collective
  //! over the world like rows(): every rank starts the same gathers in the
  //! same order); test() progresses it and says whether it is done; finish()
  //! waits and unpacks into `out` (collective).
  void start(ShardedTensor const& p, Box const& region, MeshDimMask keep, InFlight& f);
  bool test(InFlight& f);
  void finish(InFlight& f, float* out);
  //! Allocates the staging for gathers of up to `elems` elements now, so
  //! that rows() never allocates.
  void reserve(std::int64_t elems);
  //! Bytes of host staging buffers held (for the memory plan).
  std::int64_t staging_bytes() const;
  //! Bytes this rank sent to other ranks in the last rows() call (its
  //! clipped box as float32; 0 when the shard group is this rank alone).
  std::int64_t last_send_bytes() const { return _sent_bytes; }

 private:
  void post(ShardedTensor const& p, Box const& region, MeshDimMask keep, InFlight& f, bool blocking);

  MeshComm const& _mc;
  std::int64_t _sent_bytes = 0;
  InFlight _now;  // rows()' buffers, reused
};

}  // namespace titan
