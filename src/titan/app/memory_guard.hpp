// The memory guard: before a real run allocates, the ranks of each node add
// up what they plan to allocate and compare it with the memory available to
// them; a node that would run out refuses the run (collectively, with one
// message saying what is needed, what is available and what would fit)
// instead of being OOM-killed later. --force overrides.
#pragma once

#include "titan/core/dtype.hpp"
#include "titan/core/memory_limits.hpp"

#include <mpi.h>

#include <cstdint>
#include <string>

namespace titan {

//! What the ranks of one node plan to allocate and what the node offers them.
struct NodeMemory {
  std::string name;                   //!< host name, for the message
  int ranks = 1;                      //!< ranks on this node
  std::int64_t planned_bytes = 0;     //!< their planned bytes, summed (parameters and buffers)
  std::int64_t available_bytes = -1;  //!< memory available to them together; < 0: unknown
  std::string available_source;       //!< where available_bytes comes from
};

//! The whole model, for the "what would fit" advice.
struct ModelMemory {
  std::int64_t params = 0;       //!< parameters (unsharded; a tied weight once)
  DType dtype = DType::float32;  //!< the run's dtype
  int world_size = 1;
  //! Bytes every rank holds whatever the rank count (buffers such as
  //! freqs_cis, replicated, always float32): sharding does not divide them
  //! and bfloat16 does not halve them.
  std::int64_t replicated_bytes = 0;
};

struct MemoryVerdict {
  bool fits = true;
  std::int64_t needed_bytes = 0;  //!< planned bytes plus the margins
  std::string message;            //!< what is needed, what is available, what would fit ("" when it fits)
};

//! The margin added to one rank's planned bytes for what the plan does not
//! count (MPI and Kokkos runtimes, the report, temporaries): 256 MiB + 1/16.
std::int64_t margin_bytes(std::int64_t planned_rank_bytes);

//! The guard's decision for one node: fits when the planned bytes plus one
//! margin per rank are at most the available bytes (or those are unknown).
//! A pure function, so every rank of the node decides the same.
MemoryVerdict judge_memory(NodeMemory const& node, ModelMemory const& model);

struct GuardOptions {
  bool force = false;                  //!< --force: warn instead of refusing
  std::int64_t pretend_available = 0;  //!< > 0: use this instead of measuring ([debug] memory_available)
  int device_id = -1;                  //!< >= 0 on a device build: judge per device, not per node
  MemoryRoom device_room;              //!< that device's free memory (this rank's reading)
};

//! Collective over `world`: groups the ranks by node (MPI_COMM_TYPE_SHARED),
//! sums their `planned_rank_bytes`, takes the node's available memory
//! (available_memory(), the smallest reading on the node) and judges. When a
//! node does not fit, every rank throws CollectiveError (bad input, exit 2)
//! with that node's message; with `force` the node's first rank prints it as
//! a warning on stderr instead. On a device build (options.device_id >= 0)
//! the parameters live in device memory: the ranks of a node that share a
//! device are judged together against that device's free memory.
void guard_memory(MPI_Comm world, std::int64_t planned_rank_bytes, ModelMemory const& model,
                  GuardOptions const& options);

}  // namespace titan
