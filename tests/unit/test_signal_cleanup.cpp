// signal_cleanup (issue 19, class 10): on SIGTERM/SIGINT a registered file
// and a registered flat directory (with its files) are removed and the
// signal then takes its usual effect; a cancelled slot is left alone; an
// ignored SIGHUP stays ignored, and so do the files. Each case runs in a
// forked child, so the handler never touches this test process.
#include "titan/core/signal_cleanup.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace titan;

namespace {

bool exists(std::string const& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

struct Scratch {
  std::string dir;
  Scratch() {
    char t[] = "/tmp/titan_signal_cleanup.XXXXXX";
    dir = ::mkdtemp(t);
  }
  ~Scratch() { std::system(("rm -rf '" + dir + "'").c_str()); }
};

// Runs fn in a child; returns its wait status.
template <class F>
int in_child(F&& fn) {
  pid_t const pid = ::fork();
  if (pid == 0) {
    fn();
    std::_Exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace

TEST_CASE("signal_cleanup removes registered paths, then the signal takes effect", "[signal_cleanup]") {
  Scratch s;
  std::string const file = s.dir + "/.titan_write_speed.1", flat = s.dir + "/ck.tmp.abc", kept = s.dir + "/kept";
  ::mkdir(flat.c_str(), 0755);
  for (auto const& f : {file, flat + "/model-00001-of-00002.safetensors", flat + "/model-00002-of-00002.safetensors", kept})
    std::ofstream(f) << "x";
  for (int sig : {SIGTERM, SIGINT}) {
    int const status = in_child([&] {
      std::signal(sig, SIG_DFL);  // as in titan_app (not Catch's fatal-signal report)
      remove_on_signal(file, CleanupKind::file);
      remove_on_signal(flat, CleanupKind::flat_directory);
      cancel_on_signal(remove_on_signal(kept, CleanupKind::file));  // cancelled: stays
      ::raise(sig);
      std::_Exit(3);  // not reached: the signal's default action ends the child
    });
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == sig);
    CHECK_FALSE(exists(file));
    CHECK_FALSE(exists(flat));
    CHECK(exists(kept));
    ::mkdir(flat.c_str(), 0755);  // again for the next signal
    std::ofstream(file) << "x";
  }
}

TEST_CASE("an ignored SIGHUP stays ignored, and the files stay", "[signal_cleanup]") {
  Scratch s;
  std::string const file = s.dir + "/f";
  std::ofstream(file) << "x";
  int const status = in_child([&] {
    std::signal(SIGHUP, SIG_IGN);  // as under nohup
    remove_on_signal(file, CleanupKind::file);
    ::raise(SIGHUP);
    std::_Exit(7);  // reached: the run goes on
  });
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 7);
  CHECK(exists(file));
}
