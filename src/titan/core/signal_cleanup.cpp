#include "titan/core/signal_cleanup.hpp"

#include <climits>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace titan {
namespace {

constexpr int handled_signals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int n_signals = 3;
constexpr int n_slots = 8;

struct Slot {
  char path[PATH_MAX + 1];
  volatile std::sig_atomic_t live;
  volatile std::sig_atomic_t kind;  // CleanupKind
};
Slot g_slots[n_slots];
struct sigaction g_previous[n_signals];
bool g_installed = false;

// linux_dirent64, as getdents64 fills it.
struct DirEntry64 {
  ino64_t d_ino;
  off64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// Removes every entry of a directory (and of its subdirectories, `depth`
// levels down: a checkpoint's optimizer/), then the directory (signal-safe).
void remove_directory_at(int parent_fd, char const* path, int depth) {
  int const fd = ::openat(parent_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (fd >= 0) {
    alignas(8) char buf[4096];
    for (int rounds = 0; rounds < 100000; ++rounds) {
      long const n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        DirEntry64 const* e = reinterpret_cast<DirEntry64 const*>(buf + off);
        char const* name = e->d_name;
        bool const dot = name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
        if (!dot && e->d_type == DT_DIR && depth > 0) remove_directory_at(fd, name, depth - 1);
        else if (!dot) ::unlinkat(fd, name, 0);
        off += e->d_reclen;
      }
    }
    ::close(fd);
  }
  ::unlinkat(parent_fd, path, AT_REMOVEDIR);
}

void remove_flat_directory(char const* path) { remove_directory_at(AT_FDCWD, path, 1); }

extern "C" void titan_cleanup_and_pass_on(int sig) {
  for (Slot& s : g_slots) {
    if (!s.live) continue;
    s.live = 0;
    if (s.kind == static_cast<int>(CleanupKind::file)) ::unlink(s.path);
    else remove_flat_directory(s.path);
  }
  for (int i = 0; i < n_signals; ++i)
    if (handled_signals[i] == sig) ::sigaction(sig, &g_previous[i], nullptr);
  ::raise(sig);
}

void install() {
  if (g_installed) return;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = titan_cleanup_and_pass_on;
  sigemptyset(&sa.sa_mask);
  for (int s : handled_signals) sigaddset(&sa.sa_mask, s);  // one cleanup at a time
  for (int i = 0; i < n_signals; ++i) {
    ::sigaction(handled_signals[i], nullptr, &g_previous[i]);
    // An ignored signal (nohup's SIGHUP) stays ignored: the run goes on, so
    // its files must stay too.
    if (g_previous[i].sa_handler == SIG_IGN && !(g_previous[i].sa_flags & SA_SIGINFO)) continue;
    ::sigaction(handled_signals[i], &sa, nullptr);
  }
  g_installed = true;
}

}  // namespace

int remove_on_signal(std::string const& path, CleanupKind kind) {
  if (path.empty() || path.size() > PATH_MAX) return -1;
  install();
  for (int i = 0; i < n_slots; ++i) {
    Slot& s = g_slots[i];
    if (s.live) continue;
    std::memcpy(s.path, path.c_str(), path.size() + 1);
    s.kind = static_cast<int>(kind);
    s.live = 1;  // last: the handler sees a complete entry
    return i;
  }
  return -1;
}

void cancel_on_signal(int slot) {
  if (slot >= 0 && slot < n_slots) g_slots[slot].live = 0;
}

}  // namespace titan
