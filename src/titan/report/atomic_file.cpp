#include "titan/report/atomic_file.hpp"

#include "titan/core/errors.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace titan {

AtomicFile::AtomicFile(std::string path) : _path(std::move(path)), _tmp(_path + ".tmp." + std::to_string(getpid())) {
  struct stat st;
  if (::stat(_path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw InputError("--report-json " + _path + ": cannot write there (it is a directory)");
  std::FILE* f = std::fopen(_tmp.c_str(), "w");
  if (!f) throw InputError("--report-json " + _path + ": cannot write there (" + std::strerror(errno) + ")");
  std::fclose(f);
}

AtomicFile::~AtomicFile() {
  if (!_committed) std::remove(_tmp.c_str());
}

void AtomicFile::commit(std::string const& text) {
  write(text);
  commit();
}

void AtomicFile::write(std::string const& text) {
  std::FILE* f = std::fopen(_tmp.c_str(), "w");
  if (!f) throw RunError("writing " + _tmp + " failed: " + std::strerror(errno));
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = (std::fflush(f) == 0) && ok;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw RunError("writing " + _tmp + " failed: " + std::strerror(errno));
  _written = true;
}

void AtomicFile::commit() {
  if (!_written) throw RunError("internal: " + _path + " committed before it was written");
  if (std::rename(_tmp.c_str(), _path.c_str()) != 0)
    throw RunError("renaming " + _tmp + " to " + _path + " failed: " + std::strerror(errno));
  _committed = true;
}

}  // namespace titan
