#include "titan/core/device.hpp"

#include <Kokkos_Core.hpp>

#if defined(KOKKOS_ENABLE_CUDA)
#include <cuda_runtime_api.h>
#endif

namespace titan {

DeviceChoice choose_device(MPI_Comm world) {
  DeviceChoice c;
  int rank = 0;
  MPI_Comm_rank(world, &rank);
  MPI_Comm node = MPI_COMM_NULL;
  if (MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
    MPI_Comm_rank(node, &c.local_rank);
    MPI_Comm_size(node, &c.local_ranks);
    MPI_Comm_free(&node);
  }
#if defined(KOKKOS_ENABLE_CUDA)
  if (cudaGetDeviceCount(&c.device_count) != cudaSuccess) c.device_count = 0;
  if (c.device_count > 0) c.device_id = c.local_rank % c.device_count;
#endif
  return c;
}

MemoryRoom device_free_memory() {
#if defined(KOKKOS_ENABLE_CUDA)
  std::size_t free_bytes = 0, total_bytes = 0;
  int device = -1;
  if (cudaGetDevice(&device) == cudaSuccess && cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess)
    return {static_cast<std::int64_t>(free_bytes), "free memory of CUDA device " + std::to_string(device)};
#endif
  return {-1, "no device"};
}

std::string describe_device(DeviceChoice const& c) {
  std::string const where = " (node-local rank " + std::to_string(c.local_rank) + " of " +
                            std::to_string(c.local_ranks) + ")";
  if (c.device_id < 0) return std::string(Kokkos::DefaultExecutionSpace::name()) + where;
  return std::string(Kokkos::DefaultExecutionSpace::name()) + " device " + std::to_string(c.device_id) + " of " +
         std::to_string(c.device_count) + where;
}

}  // namespace titan
