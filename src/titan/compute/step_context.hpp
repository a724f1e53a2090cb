// What a module's forward and backward receive besides their input: where
// the weights and gradients are (WeightStore), this rank's batch shape, the
// model's RoPE table, the FLOP counter, and whether the pass keeps what the
// backward pass will need.
#pragma once

#include "titan/compute/compute_types.hpp"
#include "titan/compute/token_kernels.hpp"
#include "titan/compute/weight_store.hpp"
#include "titan/core/errors.hpp"

#include <mpi.h>

#include <functional>
#include <string>

namespace titan {

struct StepContext {
  StepContext(WeightStore& store, MPI_Comm comm_) : weights(store), comm(comm_) {}

  WeightStore& weights;
  //! The ranks computing together: every step between two collectives runs
  //! in guarded(), so that a failure on one rank ends the pass on all.
  MPI_Comm comm;
  //! Names the pass in messages ("forward", "training step 3").
  std::string pass = "forward";
  //! The bytes the memory plan counted for the pass (0: none), for the message of a failed allocation.
  double planned_bytes = 0;
  std::int64_t n_seq = 0, T = 0;  // this rank's sequences, positions per sequence (rows = n_seq * T)
  TokenView tokens;               // [n_seq * T]
  TokenGroups token_groups;       // the same grouped by id (the embedding's gradient), training only
  FreqsView freqs;                // set by the Decoder: its freqs_cis
  RopeStyle rope_style = RopeStyle::interleaved;
  FlopCounter fc;
  //! The forward pass keeps what backward needs (a training step). False in
  //! a forward-only pass and while activation checkpointing discards a
  //! block's inside.
  bool keep_for_backward = false;
  //! A block's forward re-run for its backward (activation checkpointing):
  //! statistics (tokens per expert) are not counted twice.
  bool recomputing = false;
  //! Counting tokens per expert for load balancing (training).
  bool count_routing = false;
  //! Activation checkpointing: the forward keeps each block's input only and
  //! the backward recomputes the block.
  bool checkpoint_blocks = false;
  //! Called (when set) after the embedding, after each block and after the
  //! output head of a forward pass: progress lines for a long pass.
  std::function<void()> step_done;
  void step() const {
    if (step_done) step_done();
  }

  std::int64_t rows() const { return n_seq * T; }

  //! Collective over comm: runs fn; a failure on any rank is a
  //! CollectiveError on every rank (an allocation that fails is named as such).
  //! fn may call collectives over sub-communicators (a tensor-parallel
  //! all-reduce, an expert-parallel all-to-all) only through
  //! before_collective(): they split the guarded stretch in two.
  void guarded(std::function<void()> const& fn);
  //! To be called just before a collective inside a block (inside guarded()):
  //! every rank of comm agrees first that none has failed since the last
  //! agreement (agree() in collective.hpp), so a rank that failed mid-block is
  //! waited for in that agreement, not missing from a tp or ep group's
  //! collective (a hang). Outside guarded() there is nothing to agree on.
  void before_collective() const;
  //! The tensor-parallel all-reduce of a partial sum (WeightStore's), after
  //! before_collective(); nothing at tp = 1.
  void tp_all_reduce(Act const& x);
  //! Fault injection ([debug] fail_module, tests of the path above): the
  //! module whose forward throws on this rank ("" on every other rank).
  std::string fail_module;
  //! Throws the injected failure when `fqn` is fail_module.
  void inject_fault(std::string const& fqn) const;
  //! RunError naming `where` (and this rank's sequences) when x holds NaN or Inf.
  void require_finite(FMat x, std::string const& where) const;
  //! This rank's first sequence (for messages).
  std::int64_t first_sequence = 0;
  //! The logits [rows, V], allocated by the caller before the pass when it
  //! can be (the largest buffer of a pass: a pass that cannot hold it fails
  //! before computing anything); the output head writes into it.
  Act logits;

 private:
  bool _in_guarded = false;
};

}  // namespace titan
