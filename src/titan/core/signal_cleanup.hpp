// Removing a run's temporary files when it is stopped by SIGINT, SIGTERM or
// SIGHUP (issue 19, class 10): a checkpoint's temporary directory (with the
// shards written so far) and the write-speed scratch file. The handler uses
// only async-signal-safe calls (open, getdents64, unlinkat, rmdir, close),
// then hands the signal on to whatever handled it before (AtomicFile's, or
// the default: the process ends as it would have).
// Host-only; no Kokkos, no MPI.
#pragma once

#include <string>

namespace titan {

//! What a registered path is: one file, or a directory of plain files (not
//! nested), removed with its contents.
//! flat_directory: a directory of files and subdirectories of files (a
//! checkpoint with its optimizer/), removed with its contents.
enum class CleanupKind { file, flat_directory };

//! Registers `path` for removal on a signal; returns a slot for
//! cancel_on_signal, or -1 when the table (8 entries) is full or the path
//! is too long (then nothing is removed on a signal).
int remove_on_signal(std::string const& path, CleanupKind kind);
//! Forgets the slot (the path was committed or already removed). -1 is ignored.
void cancel_on_signal(int slot);

}  // namespace titan
