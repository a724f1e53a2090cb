// File-system steps of a crash-safe checkpoint save (docs/checkpoint.md):
// a temporary sibling directory, fsync, rename into place, cleanup on failure;
// plus the sequential-write reference measurement. Host-only; rank 0 calls
// these (no MPI here).
#pragma once

#include "titan/checkpoint/checkpoint_overwrite.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

//! The temporary directory of one save. prepare() refuses an existing
//! destination (unless overwrite, and then only a titan_app checkpoint:
//! checkpoint_overwrite.hpp) and an unwritable parent (InputError); the
//! destructor, and SIGINT/SIGTERM/SIGHUP (signal_cleanup.hpp), remove the
//! temporary unless commit() succeeded.
class CheckpointStaging {
 public:
  CheckpointStaging() = default;
  ~CheckpointStaging();
  CheckpointStaging(CheckpointStaging const&) = delete;
  CheckpointStaging& operator=(CheckpointStaging const&) = delete;

  //! Checks `dir` (with overwrite, that it may be replaced, given the paths
  //! the run reads) and creates the temporary "<name>.tmp.XXXXXX" beside it
  //! (the name cut to 200 bytes, so any legal name works). Throws InputError.
  void prepare(std::string const& dir, bool overwrite, std::vector<NamedPath> const& inputs = {});
  //! Throws InputError when the file system of the destination has less
  //! than `bytes` free (statvfs), naming both numbers.
  void check_free_space(std::uint64_t bytes) const;
  //! Writes a small file into the temporary directory and fsyncs it. RunError on failure.
  void write_file(std::string const& name, std::string const& text) const;
  //! fsyncs the temporary directory, renames it to the destination (an
  //! existing one, with overwrite, is renamed aside first; after the rename
  //! only the files prepare() found to make up the old checkpoint are
  //! deleted, then its directory if that leaves it empty), fsyncs the
  //! parent. RunError on failure (the old checkpoint is put back).
  void commit();
  //! Removes the temporary now (idempotent).
  void discard();

  std::string const& dir() const { return _dir; }
  std::string const& tmp() const { return _tmp; }
  std::string parent() const;

 private:
  std::string _dir, _tmp;
  std::vector<std::string> _old_files;  // what an overwritten checkpoint consists of
  bool _overwrite = false, _active = false;
  int _signal_slot = -1;
};

//! fsync of a directory (so that entries created or renamed in it persist).
void fsync_directory(std::string const& dir);

//! The reference: writes `bytes` to a scratch file in `dir` in 64 MiB
//! write() calls, fsyncs it, removes it; returns the seconds taken
//! (open to fsync). RunError on failure (the scratch file is removed, also
//! on SIGINT/SIGTERM/SIGHUP).
double measure_sequential_write(std::string const& dir, std::uint64_t bytes);

}  // namespace titan
