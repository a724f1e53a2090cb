// Which accelerator this rank uses and how much of its memory is free.
// Ranks map to a node's GPUs by node-local rank (rank r of the node gets
// device r mod the device count), so ranks share a device only when a node
// has more ranks than devices. On a host build there is no device.
#pragma once

#include "titan/core/memory_limits.hpp"

#include <mpi.h>

#include <string>

namespace titan {

struct DeviceChoice {
  int local_rank = 0;   //!< this rank's index among the ranks of its node
  int local_ranks = 1;  //!< ranks on this node
  int device_id = -1;   //!< the device this rank uses; -1 on a host build
  int device_count = 0; //!< devices visible on this node
};

//! The node-local rank (MPI_COMM_TYPE_SHARED) and, on a device build, the
//! device it maps to. Collective over `world`; call before Kokkos starts.
DeviceChoice choose_device(MPI_Comm world);

//! Free memory of the device in use (cudaMemGetInfo on a CUDA build); bytes
//! < 0 on a host build. Call after Kokkos started.
MemoryRoom device_free_memory();

//! "Cuda device 0 (node-local rank 1 of 2)" or "host".
std::string describe_device(DeviceChoice const& choice);

}  // namespace titan
