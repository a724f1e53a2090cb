#include "titan/compute/expert_dispatch.hpp"

#include "titan/core/errors.hpp"
#include "titan/parallel/collective.hpp"
#include "titan/parallel/placement.hpp"

#include <climits>
#include <string>

namespace titan {

namespace {
using Range = Kokkos::RangePolicy<ExecSpace>;
}  // namespace

void ExpertDispatch::plan(CommWithBuffers const& ep, std::vector<std::int64_t> const& offset) {
  MPI_Comm const comm = ep.comm;
  _comm = comm;
  _device_pointers = ep.device_pointers;
  TITAN_MPI_CHECK(MPI_Comm_size(comm, &_size));
  TITAN_MPI_CHECK(MPI_Comm_rank(comm, &_rank));
  std::int64_t const E = static_cast<std::int64_t>(offset.size()) - 1;
  std::int64_t const block = (E + _size - 1) / _size;  // torch.chunk's chunk: the counts' block per peer
  std::size_t const P = static_cast<std::size_t>(_size);
  std::vector<std::int64_t> send(P * static_cast<std::size_t>(block), 0), recv(send.size(), 0);
  _send_rows.assign(P, 0);
  _send_at.assign(P, 0);
  for (int j = 0; j < _size; ++j) {
    auto const [first, count] = chunk_range(E, _size, j);
    for (std::int64_t i = 0; i < count; ++i) send[j * block + i] = offset[first + i + 1] - offset[first + i];
    _send_at[j] = offset[first];
    _send_rows[j] = offset[first + count] - offset[first];
  }
  TITAN_MPI_CHECK(MPI_Alltoall(send.data(), static_cast<int>(block), MPI_INT64_T, recv.data(), static_cast<int>(block),
                               MPI_INT64_T, comm));
  auto const mine = chunk_range(E, _size, _rank);
  _first = mine[0];
  std::int64_t const L = mine[1];
  // Received rows come source by source, each source's grouped by expert.
  _recv_rows.assign(P, 0);
  _recv_at.assign(P, 0);
  std::int64_t total = 0;
  for (int s = 0; s < _size; ++s) {
    _recv_at[s] = total;
    for (std::int64_t i = 0; i < L; ++i) _recv_rows[s] += recv[s * block + i];
    total += _recv_rows[s];
  }
  // This rank's experts compute them grouped by expert, sources in order.
  _local_offset.assign(static_cast<std::size_t>(L + 1), 0);
  auto perm = Kokkos::View<std::int64_t*, HostSpace>("moe:ep_perm", static_cast<std::size_t>(total));
  std::int64_t at = 0;
  for (std::int64_t i = 0; i < L; ++i) {
    for (int s = 0; s < _size; ++s) {
      std::int64_t from = _recv_at[s];
      for (std::int64_t ii = 0; ii < i; ++ii) from += recv[s * block + ii];
      for (std::int64_t r = 0; r < recv[s * block + i]; ++r) perm(at++) = from + r;
    }
    _local_offset[i + 1] = at;
  }
  _perm = Kokkos::View<std::int64_t*, Layout, MemSpace>("moe:ep_perm", static_cast<std::size_t>(total));
  Kokkos::deep_copy(_perm, perm);
  _routed = offset.back();
  _rows_sent = _routed - _send_rows[_rank];
  _rows_received = total - _recv_rows[_rank];
}

void ExpertDispatch::exchange(FMat send, std::vector<std::int64_t> const& send_rows,
                              std::vector<std::int64_t> const& send_at, FMat recv,
                              std::vector<std::int64_t> const& recv_rows, std::vector<std::int64_t> const& recv_at,
                              double& bytes) {
  std::int64_t const D = static_cast<std::int64_t>(send.extent(1));
  std::int64_t const n_send = static_cast<std::int64_t>(send.extent(0)), n_recv = static_cast<std::int64_t>(recv.extent(0));
  std::size_t const P = static_cast<std::size_t>(_size);
  std::vector<int> sc(P), sd(P), rc(P), rd(P);
  for (std::size_t j = 0; j < P; ++j) {
    for (std::int64_t v : {send_rows[j] * D, send_at[j] * D, recv_rows[j] * D, recv_at[j] * D, n_send * D, n_recv * D})
      if (v > INT_MAX) throw RunError("the MoE's token dispatch needs smaller batches (MPI int counts)");
    sc[j] = static_cast<int>(send_rows[j] * D);
    sd[j] = static_cast<int>(send_at[j] * D);
    rc[j] = static_cast<int>(recv_rows[j] * D);
    rd[j] = static_cast<int>(recv_at[j] * D);
    if (static_cast<int>(j) != _rank) bytes += 4.0 * static_cast<double>(sc[j]);
  }
  // MPI reads and writes them as plain arrays: rows one after the other.
  require_internal(send.span() == static_cast<std::size_t>(n_send * D) && recv.span() == static_cast<std::size_t>(n_recv * D),
                   "the MoE's dispatch got rows that are not contiguous");
  auto const alltoallv = [&](float const* s, float* r) {
    TITAN_MPI_CHECK(MPI_Alltoallv(s, sc.data(), sd.data(), MPI_FLOAT, r, rc.data(), rd.data(), MPI_FLOAT, _comm));
  };
  mpi_on_buffers(_device_pointers, send.data(), n_send * D, recv.data(), n_recv * D, _stage, alltoallv);
}

Act ExpertDispatch::to_experts(FMat rows, double& bytes) {
  require_internal(static_cast<std::int64_t>(rows.extent(0)) == _routed, "the MoE's dispatch was planned for other rows");
  std::int64_t const D = static_cast<std::int64_t>(rows.extent(1)), R = _local_offset.back();
  Act received = new_act("moe:ep_received", R, D);
  exchange(rows, _send_rows, _send_at, received, _recv_rows, _recv_at, bytes);
  Act local = new_act("moe:ep_local", R, D);
  auto perm = _perm;
  Kokkos::parallel_for("compute:moe_ep_group", Range(0, R * D), KOKKOS_LAMBDA(std::int64_t i) {
    local(i / D, i % D) = received(perm(i / D), i % D);
  });
  return local;
}

Act ExpertDispatch::from_experts(FMat local, double& bytes) {
  std::int64_t const D = static_cast<std::int64_t>(local.extent(1)), R = _local_offset.back();
  require_internal(static_cast<std::int64_t>(local.extent(0)) == R, "the MoE's experts returned other rows than they received");
  Act back = new_act("moe:ep_back", R, D);
  auto perm = _perm;
  Kokkos::parallel_for("compute:moe_ep_ungroup", Range(0, R * D), KOKKOS_LAMBDA(std::int64_t i) {
    back(perm(i / D), i % D) = local(i / D, i % D);
  });
  Act rows = new_act("moe:ep_returned", _routed, D);
  exchange(back, _recv_rows, _recv_at, rows, _send_rows, _send_at, bytes);
  return rows;
}

}  // namespace titan
