// The one place the compute path decides how an MPI call sees buffers that
// live in the default memory space (docs/gpu.md "MPI and device memory"):
// a host build's buffers are host memory and go to MPI as they are; a
// device build hands MPI the device pointers when the run resolved
// [mpi] device_buffers to that (a CUDA-aware MPI, parallel/mpi_buffers.hpp),
// and otherwise copies them to host memory and the result back.
#pragma once

#include "titan/core/types.hpp"

#include <mpi.h>

#include <cstdint>
#include <vector>

namespace titan {

//! A communicator and whether its collectives may take device pointers.
struct CommWithBuffers {
  MPI_Comm comm = MPI_COMM_SELF;
  bool device_pointers = false;
};

//! True when MemSpace is host memory (a host build): MPI takes the buffers as they are.
constexpr bool mpi_buffers_in_host_memory() { return Kokkos::SpaceAccessibility<HostSpace, MemSpace>::accessible; }

//! `mpi(host_send, host_recv)` on host copies of `send` [n_send] and `recv`
//! [n_recv] (MemSpace; send == recv for an in-place call) held in `stage`:
//! send copied in, recv copied back. The staging path of mpi_on_buffers
//! (a device build without device pointers for MPI), callable on its own so
//! that a host build's tests exercise it.
template <class T, class F>
void mpi_via_host_stage(T const* send, std::int64_t n_send, T* recv, std::int64_t n_recv, std::vector<T>& stage,
                        F&& mpi) {
  using HostU = Kokkos::View<T*, HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  using DevU = Kokkos::View<T*, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  using DevC = Kokkos::View<T const*, MemSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  bool const in_place = send == recv;
  stage.resize(static_cast<std::size_t>(n_send + (in_place ? 0 : n_recv)));
  HostU hs(stage.data(), static_cast<std::size_t>(n_send));
  if (n_send > 0) Kokkos::deep_copy(hs, DevC(send, static_cast<std::size_t>(n_send)));
  T* hr = in_place ? stage.data() : stage.data() + n_send;
  mpi(static_cast<T const*>(stage.data()), hr);
  if (n_recv > 0)
    Kokkos::deep_copy(DevU(recv, static_cast<std::size_t>(n_recv)), HostU(hr, static_cast<std::size_t>(n_recv)));
}

//! Runs `mpi(send, recv)` with `send` [n_send] and `recv` [n_recv] (MemSpace;
//! send == recv for an in-place call) as MPI may read and write them: the
//! buffers themselves on a host build or with `device_pointers` (after a
//! fence, so the kernels that wrote `send` are done), else host copies
//! (mpi_via_host_stage).
template <class T, class F>
void mpi_on_buffers(bool device_pointers, T const* send, std::int64_t n_send, T* recv, std::int64_t n_recv,
                    std::vector<T>& stage, F&& mpi) {
  Kokkos::fence();
  if (mpi_buffers_in_host_memory() || device_pointers)
    mpi(send, recv);
  else
    mpi_via_host_stage(send, n_send, recv, n_recv, stage, mpi);
}

}  // namespace titan
