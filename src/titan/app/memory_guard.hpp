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
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace titan {

//! One part of what a rank will hold, for the guard's sum and its message.
struct MemoryTerm {
  std::string name;        //!< "parameters and buffers", "forward pass", ...
  std::int64_t bytes = 0;  //!< this rank's (a node's sum in NodeMemory::terms)
  //! The term's own parts (name, bytes), for the message; the same names on
  //! every rank (a part a rank does not have is 0, and left out of messages).
  std::vector<std::pair<std::string, std::int64_t>> parts;
};

//! What one rank will hold, term by term, the same terms in the same order
//! on every rank. The first term is the model itself (its parameter shards
//! and its copy of the buffers: what the rank-count advice scales); every
//! phase that needs memory of its own adds one term: the forward pass now
//! (activations, logits, gather pools, tokens); training will add its
//! gradients, optimizer states and the activations kept for backward as
//! more terms, without another change to the guard.
struct RankMemory {
  std::vector<MemoryTerm> terms;
  //! The sum of the terms (saturating at INT64_MAX).
  std::int64_t total() const;
  //! The terms after the first (the phases' work memory).
  std::int64_t work() const;
};

//! A RankMemory holding only the model: {"parameters and buffers", bytes}.
RankMemory model_only(std::int64_t planned_rank_bytes);

//! What the ranks of one node plan to allocate and what the node offers them.
struct NodeMemory {
  std::string name;                   //!< host name, for the message
  int ranks = 1;                      //!< ranks on this node
  std::int64_t planned_bytes = 0;     //!< their planned bytes, summed (every term)
  std::int64_t available_bytes = -1;  //!< memory available to them together; < 0: unknown
  std::string available_source;       //!< where available_bytes comes from
  //! The node's sum of each term, when there is more than the model (empty:
  //! planned_bytes is all model).
  std::vector<MemoryTerm> terms;
  //! Of planned_bytes, the phases' work memory (the terms after the first).
  std::int64_t work_bytes = 0;
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

//! Given the bytes one rank may still hold for the phases' work, what would
//! fit (e.g. "at most forward.batch = 1000 fits at seq_len = 2"); the caller
//! knows its phase's sizes, the guard only the bytes.
using WorkAdvice = std::function<std::string(double room_per_rank)>;

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
//! A pure function, so every rank of the node decides the same. When the
//! model alone would fit but not with the phases' work, the advice is
//! `work_advice`'s (what work would fit), not a rank count.
MemoryVerdict judge_memory(NodeMemory const& node, ModelMemory const& model, WorkAdvice const& work_advice = {});

struct GuardOptions {
  bool force = false;                  //!< --force: warn instead of refusing
  std::int64_t pretend_available = 0;  //!< > 0: use this instead of measuring ([debug] memory_available)
  int device_id = -1;                  //!< >= 0 on a device build: judge per device, not per node
  MemoryRoom device_room;              //!< that device's free memory (this rank's reading)
  WorkAdvice work_advice;              //!< what would fit of the phases' work (may be empty)
};

//! Collective over `world`: groups the ranks by node (MPI_COMM_TYPE_SHARED),
//! sums their `planned` bytes (term by term), takes the node's available memory
//! (available_memory(), the smallest reading on the node) and judges. When a
//! node does not fit, every rank throws CollectiveError (bad input, exit 2)
//! with that node's message; with `force` the node's first rank prints it as
//! a warning on stderr instead. On a device build (options.device_id >= 0)
//! the parameters live in device memory: the ranks of a node that share a
//! device are judged together against that device's free memory.
void guard_memory(MPI_Comm world, RankMemory const& planned, ModelMemory const& model, GuardOptions const& options);

}  // namespace titan
