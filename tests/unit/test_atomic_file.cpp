// AtomicFile: the final path holds either the older file or the complete new
// one, never a partial file, and no temporary outlives the object.
#include "titan/core/errors.hpp"
#include "titan/report/atomic_file.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <dirent.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace titan;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/titan_atomic_XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() {
    for (auto const& f : files()) std::remove((path + "/" + f).c_str());
    ::rmdir(path.c_str());
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
      ::closedir(d);
    }
    return out;
  }
};

std::string slurp(std::string const& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("an uncommitted file leaves the older file and no temporary", "[atomic_file]") {
  TempDir dir;
  std::string const path = dir.path + "/report.json";
  std::ofstream(path) << "older report";
  {
    AtomicFile f(path);
    CHECK(dir.files().size() == 1);  // nothing is created before write()
    f.write("a new report, complete, but the run failed before the rename");
    CHECK(dir.files().size() == 2);  // the older file and the temporary
    CHECK(slurp(path) == "older report");
  }  // destroyed without commit(), as when a phase throws
  CHECK(slurp(path) == "older report");
  CHECK(dir.files() == std::vector<std::string>{"report.json"});
}

TEST_CASE("commit replaces the older file with the whole new text", "[atomic_file]") {
  TempDir dir;
  std::string const path = dir.path + "/report.json";
  std::ofstream(path) << "older report, longer than the new one";
  {
    AtomicFile f(path);
    f.commit("new");
  }
  CHECK(slurp(path) == "new");
  CHECK(dir.files() == std::vector<std::string>{"report.json"});
}

TEST_CASE("an unwritable path fails at construction, as bad input", "[atomic_file]") {
  TempDir dir;
  CHECK_THROWS_AS(AtomicFile(dir.path + "/no/such/dir/r.json"), InputError);
  CHECK_THROWS_WITH(AtomicFile(dir.path), Catch::Contains("cannot write there (it is a directory)"));
  CHECK(dir.files().empty());
}

TEST_CASE("commit before write is refused", "[atomic_file]") {
  TempDir dir;
  AtomicFile f(dir.path + "/r.json");
  CHECK_THROWS_AS(f.commit(), RunError);
}

TEST_CASE("an empty report path is refused", "[atomic_file]") {
  CHECK_THROWS_WITH(AtomicFile(""), Catch::Contains("the path is empty"));
}

TEST_CASE("a FIFO, a socket or a link to a FIFO is refused and left in place", "[atomic_file]") {
  TempDir dir;
  std::string const fifo = dir.path + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(AtomicFile(fifo), Catch::Contains("cannot write there (it is a FIFO)"));
  std::string const link = dir.path + "/link";
  REQUIRE(::symlink(fifo.c_str(), link.c_str()) == 0);
  CHECK_THROWS_WITH(AtomicFile(link), Catch::Contains("cannot write there (it is a FIFO)"));
  struct stat st;
  REQUIRE(::stat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  REQUIRE(::lstat(link.c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  std::vector<std::string> files = dir.files();
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"fifo", "link"});
}

TEST_CASE("a character device is refused (root only: mknod)", "[atomic_file]") {
  if (::geteuid() != 0) return;
  TempDir dir;
  std::string const dev = dir.path + "/null";
  if (::mknod(dev.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) return;  // not allowed here (container)
  CHECK_THROWS_WITH(AtomicFile(dev), Catch::Contains("cannot write there (it is a character device)"));
  struct stat st;
  REQUIRE(::stat(dev.c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  ::unlink(dev.c_str());
}

TEST_CASE("a symbolic link is followed: its target is replaced, the link stays", "[atomic_file]") {
  TempDir dir;
  std::string const target = dir.path + "/target.json";
  std::string const link = dir.path + "/link.json";
  std::ofstream(target) << "older";
  REQUIRE(::symlink("target.json", link.c_str()) == 0);  // relative, as users make them
  {
    AtomicFile f(link);
    f.commit("new report");
  }
  struct stat st;
  REQUIRE(::lstat(link.c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK(slurp(target) == "new report");
  std::vector<std::string> files = dir.files();
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"link.json", "target.json"});
}

TEST_CASE("a 250-character file name works: the temporary's name stays short", "[atomic_file]") {
  TempDir dir;
  std::string const name = std::string(245, 'r') + ".json";
  REQUIRE(name.size() == 250);
  {
    AtomicFile f(dir.path + "/" + name);
    f.write("report");
    CHECK(f.temporary().size() - dir.path.size() - 1 <= 255);
    f.commit();
  }
  CHECK(slurp(dir.path + "/" + name) == "report");
  CHECK(dir.files() == std::vector<std::string>{name});
}

TEST_CASE("the same file as the deck is refused; another file is not", "[atomic_file]") {
  TempDir dir;
  std::string const deck = dir.path + "/deck.toml";
  std::ofstream(deck) << "[run]\n";
  std::string const alias = dir.path + "/alias.toml";
  REQUIRE(::link(deck.c_str(), alias.c_str()) == 0);  // another name, same inode
  AtomicFile same(alias);
  CHECK_THROWS_WITH(same.refuse_same_file(deck, "the input deck"), Catch::Contains("is the same file as the input deck"));
  AtomicFile other(dir.path + "/r.json");
  CHECK_NOTHROW(other.refuse_same_file(deck, "the input deck"));
}

TEST_CASE("a signal while the temporary exists removes it before the process dies", "[atomic_file]") {
  TempDir dir;
  std::string const path = dir.path + "/report.json";
  pid_t const child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    try {
      AtomicFile f(path);
      f.write("complete-looking report");
      ::raise(SIGTERM);  // as mpiexec forwards a Ctrl-C
    } catch (...) {
    }
    ::_exit(0);  // not reached: SIGTERM's default action ends the process
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);
  CHECK(dir.files().empty());
}
