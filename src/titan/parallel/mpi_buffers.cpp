#include "titan/parallel/mpi_buffers.hpp"

#include "titan/core/errors.hpp"
#include "titan/parallel/collective.hpp"

// Open MPI declares its CUDA query in mpi-ext.h (MPIX_CUDA_AWARE_SUPPORT is 0
// or 1 there, Debian's package says 0); other libraries have no such header
// or no such macro, and then cannot be asked.
#if defined(OPEN_MPI) && OPEN_MPI && defined(__has_include)
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>
#endif
#endif

namespace titan {

char const* cuda_awareness_name(CudaAwareness a) {
  switch (a) {
    case CudaAwareness::no: return "no";
    case CudaAwareness::yes: return "yes";
    default: return "unknown";
  }
}

CudaAwarenessProbe probe_cuda_aware_mpi() {
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
  if (MPIX_Query_cuda_support() == 1)
    return {CudaAwareness::yes, "Open MPI built with CUDA support and MPIX_Query_cuda_support() = 1 at run time"};
  return {CudaAwareness::no, "Open MPI built with CUDA support, but MPIX_Query_cuda_support() = 0 at run time"};
#elif defined(MPIX_CUDA_AWARE_SUPPORT)
  return {CudaAwareness::no, "Open MPI built without CUDA support (MPIX_CUDA_AWARE_SUPPORT = 0 in mpi-ext.h)"};
#else
  return {CudaAwareness::unknown, "this MPI library cannot be asked (no MPIX_CUDA_AWARE_SUPPORT in mpi-ext.h)"};
#endif
}

MpiBufferChoice decide_mpi_buffers(MpiSettings const& settings, ComputeMemory memory,
                                   CudaAwarenessProbe const& detected) {
  MpiBufferChoice c;
  c.setting = settings.device_buffers;
  c.detected = detected.answer;
  c.detection = detected.how;
  if (memory == ComputeMemory::host) {  // the buffers are host memory: MPI takes them as they are, whatever the setting
    c.summary = "host memory";
    return c;
  }
  // Only CUDA awareness can be asked (Open MPI's query); another device
  // backend's library is one that cannot tell.
  CudaAwareness const answer = memory == ComputeMemory::cuda ? detected.answer : CudaAwareness::unknown;
  std::string const how = memory == ComputeMemory::cuda
                              ? detected.how
                              : "a non-CUDA device build: only CUDA awareness can be asked of the library";
  switch (settings.device_buffers) {
    case DeviceBuffers::off:
      c.summary = "staged through host (device_buffers = \"off\")";
      return c;
    case DeviceBuffers::automatic:
      c.device_pointers = answer == CudaAwareness::yes;
      c.summary = c.device_pointers ? "device pointers (CUDA-aware MPI detected)"
                                    : "staged through host (CUDA-aware MPI not detected: " + how + ")";
      return c;
    case DeviceBuffers::on:
      if (answer == CudaAwareness::no)
        throw InputError(settings.device_buffers_where + " device_buffers = \"on\", but this MPI is not CUDA-aware (" +
                         how + "): use \"auto\" or \"off\" to stage the collectives through host memory");
      c.device_pointers = true;
      if (answer == CudaAwareness::yes) {
        c.summary = "device pointers (CUDA-aware MPI detected)";
      } else {  // the user knows their library (MPICH, Cray MPICH, MVAPICH2 ...); a wrong guess crashes in MPI
        c.summary = "device pointers (device_buffers = \"on\"; not verified: " + how + ")";
        c.warning = "[mpi] device_buffers = \"on\": " + how +
                    "; passing device pointers to MPI as asked (a library that is not CUDA-aware will fail in its "
                    "first collective)";
      }
      return c;
  }
  return c;
}

MpiBufferChoice resolve_mpi_buffers(MpiSettings const& settings, ComputeMemory memory, MPI_Comm comm) {
  CudaAwarenessProbe probe = probe_cuda_aware_mpi();
  int const mine = static_cast<int>(probe.answer);
  int least = mine, most = mine;
  TITAN_MPI_CHECK(MPI_Allreduce(&mine, &least, 1, MPI_INT, MPI_MIN, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&mine, &most, 1, MPI_INT, MPI_MAX, comm));
  if (least != most) {  // ranks on different libraries (or nodes): the least capable decides, for all
    probe.answer = static_cast<CudaAwareness>(least);
    probe.how = std::string("the ranks' MPI libraries disagree (from '") + cuda_awareness_name(probe.answer) +
                "' to '" + cuda_awareness_name(static_cast<CudaAwareness>(most)) +
                "'): the least capable answer decides";
  }
  MpiBufferChoice c;
  collective(comm, [&] { c = decide_mpi_buffers(settings, memory, probe); });
  return c;
}

}  // namespace titan
