// The driver's forward phase: runs the forward pass, reduces timings and memory over the ranks, writes the
// --dump-logits file, and fills the report.
#pragma once

#include "titan/forward/forward.hpp"
#include "titan/forward/forward_report.hpp"
#include "titan/report/atomic_file.hpp"

namespace titan {

//! Collective over `comm`. `dump` (rank 0 only, may be null) receives
//! logits F32 [B, T, V] and tokens I64 [B, T] as safetensors and is committed.
//! The pass runs `repetitions` times; the report's time is the best
//! repetition's (each repetition timed by its slowest rank), as benchmarks
//! time a warmed-up loop; every repetition must give the same loss and
//! logits fingerprint (a RunError otherwise). `local_seconds` is this rank's
//! time in that best repetition (for the phase table). `step_done`: see
//! run_forward (called repetitions x (layers + 2) times).
//! `mpi_device_pointers`: see run_forward.
ForwardReport forward_phase(Module& model, Mesh const& mesh, MPI_Comm comm, bool mpi_device_pointers,
                            ForwardTokens const& tokens, std::int64_t repetitions, bool dump_logits, AtomicFile* dump,
                            double& local_seconds, std::function<void()> const& step_done = {});

}  // namespace titan
