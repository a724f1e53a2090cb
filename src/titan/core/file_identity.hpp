// Which file a path names, by device and inode (after resolving links), so
// that two names for one file (a link, a hard link, "./x" and "x") compare
// equal. Used to keep outputs off inputs and off each other (issue 19).
// Host-only; no Kokkos, no toml++, no MPI.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace titan {

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(FileId const& o) const { return dev == o.dev && ino == o.ino; }
  bool operator!=(FileId const& o) const { return !(*this == o); }
};

//! The file `path` names (stat, links followed); nothing when it does not exist.
std::optional<FileId> file_id(std::string const& path);

//! `path` itself and every directory above it up to "/", as identities
//! (from its resolved absolute path); empty when it cannot be resolved.
std::vector<FileId> self_and_ancestors(std::string const& path);

//! The directory part of `path` ("." for a bare name, "/" for "/x");
//! trailing slashes ignored.
std::string directory_part(std::string path);
//! The last component of `path`; trailing slashes ignored.
std::string name_part(std::string path);

//! Where a file will be once written: the file itself when it exists, or its
//! directory's identity plus its name when it does not yet (so two outputs
//! that do not exist yet still compare equal when they would be one file).
struct OutputId {
  std::optional<FileId> file;  //!< the existing file (links followed)
  std::optional<FileId> dir;   //!< its directory (when the file does not exist yet)
  std::string name;            //!< its name in that directory
  bool same_as(OutputId const& o) const;
};
OutputId output_id(std::string const& path);

//! "a FIFO", "a directory", "a character device", ... for a file's mode.
char const* file_kind(mode_t mode);
//! Throws InputError "<what> PATH: not a regular file (it is a FIFO); ..."
//! when `path` exists (links followed) and is not a regular file: reading
//! a FIFO would block, a device or a directory is no input (issue 19).
//! A missing path is left to the reader's own message.
void require_regular_if_exists(std::string const& path, std::string const& what);

}  // namespace titan
