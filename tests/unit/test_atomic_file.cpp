// AtomicFile: the final path holds either the older file or the complete new
// one, never a partial file, and no temporary outlives the object.
#include "titan/core/errors.hpp"
#include "titan/report/atomic_file.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>
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
    CHECK(dir.files().size() == 2);  // the older file and the temporary
    f.write("a new report, complete, but the run failed before the rename");
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
  CHECK_THROWS_WITH(AtomicFile(dir.path), Catch::EndsWith("cannot write there (it is a directory)"));
  CHECK(dir.files().empty());
}

TEST_CASE("commit before write is refused", "[atomic_file]") {
  TempDir dir;
  AtomicFile f(dir.path + "/r.json");
  CHECK_THROWS_AS(f.commit(), RunError);
}
