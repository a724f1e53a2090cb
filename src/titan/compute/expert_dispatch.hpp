// Expert parallelism's token dispatch (torchtitan's all-to-all token
// dispatcher): the E routed experts are split over the ep ranks in
// torch.chunk blocks of consecutive ids (the ep block of their weights'
// dim 0). Each rank routes its own tokens, then sends every (token, expert)
// row to the ep rank that holds the expert and gets the expert's output row
// back; the backward sends the output gradients the same way and the input
// gradients back. Rows travel in the routing's order (grouped by expert, a
// token's rows in token order), so a rank's rows for one peer are one
// contiguous run; a rank computes its experts on the rows it received
// grouped by expert, each expert's rows in source-rank order: a fixed order,
// so the results are the same from run to run.
#pragma once

#include "titan/compute/compute_types.hpp"
#include "titan/compute/mpi_on_buffers.hpp"

#include <mpi.h>

#include <vector>

namespace titan {

class ExpertDispatch {
 public:
  //! Collective over `ep.comm` (the ep ranks, ordered by ep coordinate):
  //! from this rank's routing grouping `offset` (E + 1 row offsets, rows of
  //! expert e in [offset[e], offset[e+1])), exchanges the counts
  //! (MPI_Alltoall, one block of ceil(E/ep) per peer) and plans the rows.
  //! The rows' all-to-alls take device pointers when `ep.device_pointers`
  //! (mpi_on_buffers.hpp).
  void plan(CommWithBuffers const& ep, std::vector<std::int64_t> const& offset);

  std::int64_t first_expert() const { return _first; }
  std::int64_t local_experts() const { return static_cast<std::int64_t>(_local_offset.size()) - 1; }
  //! The received rows grouped by this rank's experts: expert first_expert() + i
  //! computes rows [local_offset[i], local_offset[i+1]).
  std::vector<std::int64_t> const& local_offset() const { return _local_offset; }
  //! Rows this rank sends to other ranks (its tokens' rows for their
  //! experts) and receives from them (their tokens' rows for its experts).
  std::int64_t rows_sent() const { return _rows_sent; }
  std::int64_t rows_received() const { return _rows_received; }

  //! Collective (MPI_Alltoallv): this rank's rows [N*K, D] in routing
  //! order to the experts' ranks; returns the rows of this rank's experts
  //! [local_offset.back(), D]. `bytes` += what went to other ranks.
  Act to_experts(FMat rows, double& bytes);
  //! Collective: the reverse, [local_offset.back(), D] computed rows back
  //! to their tokens' ranks, in routing order [N*K, D].
  Act from_experts(FMat local, double& bytes);

 private:
  void exchange(FMat send, std::vector<std::int64_t> const& send_rows, std::vector<std::int64_t> const& send_at,
                FMat recv, std::vector<std::int64_t> const& recv_rows, std::vector<std::int64_t> const& recv_at,
                double& bytes);

  MPI_Comm _comm = MPI_COMM_SELF;
  bool _device_pointers = false;
  std::vector<float> _stage;  // host copies of the rows (a device build staging its MPI)
  int _size = 1, _rank = 0;
  std::int64_t _first = 0, _rows_sent = 0, _rows_received = 0, _routed = 0;
  std::vector<std::int64_t> _local_offset{0};
  // Per peer: rows sent (from offset _send_at) and received (at _recv_at).
  std::vector<std::int64_t> _send_rows, _send_at, _recv_rows, _recv_at;
  Kokkos::View<std::int64_t*, Layout, MemSpace> _perm;  // local row i = received row _perm(i)
};

}  // namespace titan
