#include "titan/report/atomic_file.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace titan {
namespace {

// ---- removing the temporary on SIGINT/SIGTERM/SIGHUP -------------------------
// One temporary at a time (rank 0's report). The handler only calls
// async-signal-safe functions: unlink, sigaction, raise.
constexpr int handled_signals[] = {SIGINT, SIGTERM, SIGHUP};
char g_tmp_path[PATH_MAX + 1];
volatile std::sig_atomic_t g_tmp_live = 0;
struct sigaction g_old_actions[3];

extern "C" void remove_temporary_and_reraise(int sig) {
  if (g_tmp_live) ::unlink(g_tmp_path);
  g_tmp_live = 0;
  for (int i = 0; i < 3; ++i)
    if (handled_signals[i] == sig) ::sigaction(sig, &g_old_actions[i], nullptr);
  ::raise(sig);
}

void arm_signal_cleanup(std::string const& tmp) {
  if (tmp.size() > PATH_MAX) return;
  std::memcpy(g_tmp_path, tmp.c_str(), tmp.size() + 1);
  g_tmp_live = 1;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = remove_temporary_and_reraise;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < 3; ++i) ::sigaction(handled_signals[i], &sa, &g_old_actions[i]);
}

void disarm_signal_cleanup() {
  if (!g_tmp_live) return;
  for (int i = 0; i < 3; ++i) ::sigaction(handled_signals[i], &g_old_actions[i], nullptr);
  g_tmp_live = 0;
}

// ---- paths --------------------------------------------------------------------

std::string directory_of(std::string const& path) {
  auto const slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(std::string const& path) {
  auto const slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

char const* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "it is a directory";
  if (S_ISCHR(mode)) return "it is a character device";
  if (S_ISBLK(mode)) return "it is a block device";
  if (S_ISFIFO(mode)) return "it is a FIFO";
  if (S_ISSOCK(mode)) return "it is a socket";
  return "it is not a regular file";
}

// "<dir>/.<first 40 bytes of the name>.tmp.XXXXXX": short enough for any
// legal file name (NAME_MAX 255), hidden, and unique (mkstemp).
std::string temporary_template(std::string const& target) {
  std::string const dir = directory_of(target);
  std::string const base = base_of(target).substr(0, 40);
  return (dir == "/" ? std::string() : dir) + "/." + base + ".tmp.XXXXXX";
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : _path(std::move(path)) {
  std::string const shown = "--report-json " + echo(_path, 200);
  require(!_path.empty(), "--report-json: the path is empty");
  _target = _path;
  struct stat st;
  if (::lstat(_path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    // A link: write its final target atomically, so the link stays.
    char* const resolved = ::realpath(_path.c_str(), nullptr);
    if (!resolved)
      throw InputError(shown + ": cannot write there (a symbolic link whose target cannot be resolved: " +
                       std::strerror(errno) + ")");
    _target = resolved;
    std::free(resolved);
  }
  if (::stat(_target.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw InputError(shown + ": cannot write there (" + kind_of(st.st_mode) +
                     "); a report is written only to a regular file (a temporary renamed over it)");
  // The directory must accept a new file: probe with a temporary, at once removed.
  std::string probe = temporary_template(_target);
  int const fd = ::mkstemp(&probe[0]);
  if (fd < 0) throw InputError(shown + ": cannot write there (" + std::strerror(errno) + ")");
  ::close(fd);
  ::unlink(probe.c_str());
}

AtomicFile::~AtomicFile() {
  if (!_committed) remove_temporary();
}

void AtomicFile::remove_temporary() {
  if (!_tmp.empty()) ::unlink(_tmp.c_str());
  disarm_signal_cleanup();
  _tmp.clear();
}

void AtomicFile::refuse_same_file(std::string const& other, std::string const& what) const {
  struct stat a, b;
  if (::stat(_target.c_str(), &a) != 0 || ::stat(other.c_str(), &b) != 0) return;
  require(!(a.st_dev == b.st_dev && a.st_ino == b.st_ino),
          "--report-json " + echo(_path, 200) + " is the same file as " + what + " " + echo(other, 200) +
              "; refusing to overwrite it");
}

void AtomicFile::commit(std::string const& text) {
  write(text);
  commit();
}

void AtomicFile::write(std::string const& text) {
  remove_temporary();
  std::string tmp = temporary_template(_target);
  int const fd = ::mkstemp(&tmp[0]);
  if (fd < 0) throw RunError("creating a temporary for " + echo(_path, 200) + " failed: " + std::strerror(errno));
  _tmp = tmp;
  arm_signal_cleanup(_tmp);
  mode_t const mask = ::umask(0);  // mkstemp makes 0600; a report is an ordinary file
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  std::size_t done = 0;
  bool ok = true;
  while (ok && done < text.size()) {
    ssize_t const n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  int const error = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok) throw RunError("writing " + echo(_tmp, 200) + " failed: " + std::strerror(error ? error : errno));
  _written = true;
}

void AtomicFile::commit() {
  if (!_written) throw RunError("internal: " + _path + " committed before it was written");
  if (std::rename(_tmp.c_str(), _target.c_str()) != 0)
    throw RunError("renaming " + _tmp + " to " + _target + " failed: " + std::strerror(errno));
  disarm_signal_cleanup();
  _tmp.clear();
  _committed = true;
}

}  // namespace titan
