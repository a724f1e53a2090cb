#include "titan/checkpoint/checkpoint_fs.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/file_identity.hpp"
#include "titan/core/human_bytes.hpp"
#include "titan/core/signal_cleanup.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace titan {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

// The directory part of a path ("." for a bare name); trailing slashes dropped.
std::string parent_of(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  std::size_t const slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string strip_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

void remove_tree(std::string const& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

bool exists(std::string const& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// A new empty directory beside `dir`: "<name>.<tag>.XXXXXX", the name cut to
// 200 bytes so that the result stays a legal name (NAME_MAX 255) whatever
// the destination's name. Empty string when mkdtemp fails (errno set).
std::string make_sibling_directory(std::string const& dir, char const* tag) {
  std::string const par = parent_of(dir);
  std::string path = (par == "/" ? std::string() : par) + "/" + name_part(dir).substr(0, 200) + "." + tag + ".XXXXXX";
  if (!::mkdtemp(&path[0])) return std::string();
  return path;
}

}  // namespace

void fsync_directory(std::string const& dir) {
  int const fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) throw RunError("opening directory " + dir + " for fsync failed: " + errno_text(errno));
  int const rc = ::fsync(fd);
  int const e = errno;
  ::close(fd);
  if (rc != 0 && e != EINVAL) throw RunError("fsync of directory " + dir + " failed: " + errno_text(e));
}

CheckpointStaging::~CheckpointStaging() { discard(); }

std::string CheckpointStaging::parent() const { return parent_of(_dir); }

void CheckpointStaging::prepare(std::string const& dir_in, bool overwrite, std::vector<NamedPath> const& inputs) {
  require(!dir_in.empty(), "--save: the path is empty");
  _dir = strip_slashes(dir_in);
  _overwrite = overwrite;
  std::string const shown = "--save " + echo(_dir, 200);
  std::string const par = parent_of(_dir);
  struct stat st;
  if (::stat(par.c_str(), &st) != 0)
    throw InputError(shown + ": cannot write there (" + echo(par, 200) + ": " + errno_text(errno) + ")");
  if (!S_ISDIR(st.st_mode)) throw InputError(shown + ": cannot write there (" + echo(par, 200) + " is not a directory)");
  if (exists(_dir)) {
    if (!overwrite)
      throw InputError(shown + ": already exists; --overwrite replaces it (after the new checkpoint is complete)");
    _old_files = check_replaceable_checkpoint(_dir, dir_in, inputs);
  }
  if (::access(par.c_str(), W_OK | X_OK) != 0)
    throw InputError(shown + ": cannot write there (" + echo(par, 200) + ": " + errno_text(errno) + ")");
  _tmp = make_sibling_directory(_dir, "tmp");
  if (_tmp.empty()) throw InputError(shown + ": cannot write there (creating a temporary directory in " +
                                     echo(par, 200) + ": " + errno_text(errno) + ")");
  mode_t const mask = ::umask(0);  // mkdtemp makes 0700; a checkpoint is an ordinary directory
  ::umask(mask);
  ::chmod(_tmp.c_str(), 0777 & ~mask);
  _signal_slot = remove_on_signal(_tmp, CleanupKind::flat_directory);
  _active = true;
}

void CheckpointStaging::check_free_space(std::uint64_t bytes) const {
  struct statvfs vfs;
  if (::statvfs(_tmp.c_str(), &vfs) != 0) return;  // unknown: the writes will tell
  std::uint64_t const avail = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (avail < bytes)
    throw InputError("--save " + _dir + ": not enough free space: the checkpoint needs " +
                     human_bytes(static_cast<double>(bytes)) + " (" + std::to_string(bytes) + " bytes) but " +
                     parent() + " has " + human_bytes(static_cast<double>(avail)) + " free");
}

void CheckpointStaging::write_file(std::string const& name, std::string const& text) const {
  std::string const path = _tmp + "/" + name;
  int const fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw RunError("writing " + path + " failed: " + errno_text(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t const n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int const e = errno;
      ::close(fd);
      throw RunError("writing " + path + " failed: " + errno_text(e));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int const e = errno;
    ::close(fd);
    throw RunError("fsync of " + path + " failed: " + errno_text(e));
  }
  if (::close(fd) != 0) throw RunError("closing " + path + " failed: " + errno_text(errno));
}

void CheckpointStaging::commit() {
  if (!_active) throw RunError("internal: checkpoint committed twice or never prepared");
  fsync_directory(_tmp);
  std::string old;
  if (!_old_files.empty() && exists(_dir)) {  // --overwrite of the checkpoint prepare() checked
    old = make_sibling_directory(_dir, "old");  // an empty directory, which the rename replaces
    if (old.empty()) throw RunError("moving the old checkpoint " + _dir + " aside failed: " + errno_text(errno));
    if (::rename(_dir.c_str(), old.c_str()) != 0) {
      int const e = errno;
      ::rmdir(old.c_str());
      throw RunError("moving the old checkpoint " + _dir + " aside failed: " + errno_text(e));
    }
  }
  if (::rename(_tmp.c_str(), _dir.c_str()) != 0) {
    int const e = errno;
    if (!old.empty()) ::rename(old.c_str(), _dir.c_str());  // put the old one back
    throw RunError("renaming " + _tmp + " to " + _dir + " failed: " + errno_text(e));
  }
  _active = false;
  cancel_on_signal(_signal_slot);
  _signal_slot = -1;
  fsync_directory(parent());
  if (!old.empty()) {
    // Only the old checkpoint's own files go; anything that appeared in it
    // during the run keeps the directory, which is then left in place.
    for (auto const& f : _old_files) ::remove((old + "/" + f).c_str());  // files, then optimizer/ once empty
    if (::rmdir(old.c_str()) != 0) {
      std::fprintf(stderr,
                   "titan_app: warning: --overwrite: %s holds files that were not part of the old checkpoint "
                   "(added during the run); its checkpoint files were removed, the rest left in place\n",
                   echo(old, 200).c_str());
      std::fflush(stderr);
    }
    fsync_directory(parent());
  }
}

void CheckpointStaging::discard() {
  if (!_active) return;
  remove_tree(_tmp);  // made by mkdtemp in prepare(): ours alone
  cancel_on_signal(_signal_slot);
  _signal_slot = -1;
  _active = false;
}

double measure_sequential_write(std::string const& dir, std::uint64_t bytes) {
  std::string const path = dir + "/.titan_write_speed." + std::to_string(::getpid());
  std::size_t const block = std::size_t(64) << 20;
  std::vector<unsigned char> buf(block);
  for (std::size_t i = 0; i < block; ++i) buf[i] = static_cast<unsigned char>((i * 2654435761u) >> 13);
  auto const t0 = std::chrono::steady_clock::now();
  int const fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) throw RunError("the write-speed scratch file " + path + ": " + errno_text(errno));
  int const slot = remove_on_signal(path, CleanupKind::file);
  std::uint64_t left = bytes;
  int err = 0;
  while (left > 0 && err == 0) {
    std::size_t const n = static_cast<std::size_t>(std::min<std::uint64_t>(left, block));
    ssize_t const w = ::write(fd, buf.data(), n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) err = w < 0 ? errno : EIO;
    else left -= static_cast<std::uint64_t>(w);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  auto const t1 = std::chrono::steady_clock::now();
  ::unlink(path.c_str());
  cancel_on_signal(slot);
  if (err != 0) throw RunError("the write-speed scratch file " + path + ": " + errno_text(err));
  return std::chrono::duration<double>(t1 - t0).count();
}

}  // namespace titan
