// Whether the compute path's collectives hand MPI device pointers or stage
// through host memory (issue 17, item 5; docs/gpu.md). Resolved once at
// start-up from [mpi] device_buffers and what the MPI library says about
// itself; every rank takes the same path. Host-only (no Kokkos): the caller
// says what memory the build computes in.
#pragma once

#include "titan/parallel/mpi_settings.hpp"

#include <mpi.h>

#include <string>

namespace titan {

//! What the MPI library says about CUDA device buffers. Ordered: the least
//! capable answer over the ranks decides (MIN), so the order is part of the contract.
enum class CudaAwareness { no = 0, unknown = 1, yes = 2 };
char const* cuda_awareness_name(CudaAwareness a);  // "no", "unknown", "yes"

struct CudaAwarenessProbe {
  CudaAwareness answer = CudaAwareness::unknown;
  std::string how;  //!< how it was found out, for the report and messages
};

//! This rank's library, asked locally: Open MPI's mpi-ext.h
//! (MPIX_CUDA_AWARE_SUPPORT at compile time, MPIX_Query_cuda_support() at
//! run time); "unknown" for a library without them (MPICH, Intel MPI, ...).
CudaAwarenessProbe probe_cuda_aware_mpi();

//! The memory the build's default Kokkos memory space lives in.
enum class ComputeMemory { host, cuda, other_device };

struct MpiBufferChoice {
  bool device_pointers = false;  //!< pass the Views' device pointers to MPI (never on a host build)
  DeviceBuffers setting = DeviceBuffers::automatic;
  CudaAwareness detected = CudaAwareness::unknown;  //!< MIN over the ranks
  std::string detection;  //!< how it was detected (rank 0's words, or the ranks' disagreement)
  std::string summary;    //!< "host memory", "device pointers (...)", "staged through host (...)"
  std::string warning;    //!< non-empty: rank 0 prints it ("on" with a library that cannot tell)
};

//! The decision alone (no MPI; unit-tested): InputError for "on" on a device
//! build whose library says it is not CUDA-aware.
MpiBufferChoice decide_mpi_buffers(MpiSettings const& settings, ComputeMemory memory,
                                   CudaAwarenessProbe const& detected);

//! Collective over `comm`: probes every rank, takes the MIN of the answers
//! and decides (the same verdict, or the same InputError, on every rank).
MpiBufferChoice resolve_mpi_buffers(MpiSettings const& settings, ComputeMemory memory, MPI_Comm comm);

}  // namespace titan
