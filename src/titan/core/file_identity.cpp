#include "titan/core/file_identity.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"

#include <climits>
#include <cstdlib>
#include <sys/stat.h>

namespace titan {

std::optional<FileId> file_id(std::string const& path) {
  struct stat st;
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

std::vector<FileId> self_and_ancestors(std::string const& path) {
  std::vector<FileId> out;
  if (path.empty()) return out;
  char* const resolved = ::realpath(path.c_str(), nullptr);
  if (!resolved) return out;
  std::string p = resolved;
  std::free(resolved);
  while (true) {
    if (auto id = file_id(p)) out.push_back(*id);
    if (p == "/") break;
    std::size_t const slash = p.rfind('/');
    p = slash == 0 ? std::string("/") : p.substr(0, slash);
  }
  return out;
}

namespace {
std::string strip_trailing_slashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}
}  // namespace

std::string directory_part(std::string path) {
  path = strip_trailing_slashes(std::move(path));
  std::size_t const slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string name_part(std::string path) {
  path = strip_trailing_slashes(std::move(path));
  std::size_t const slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

OutputId output_id(std::string const& path) {
  OutputId o;
  o.file = file_id(path);
  if (!o.file) {
    o.dir = file_id(directory_part(path));
    o.name = name_part(path);
  }
  return o;
}

bool OutputId::same_as(OutputId const& o) const {
  if (file && o.file) return *file == *o.file;
  if (!file && !o.file) return dir && o.dir && *dir == *o.dir && name == o.name;
  return false;
}

char const* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISREG(mode)) return "a regular file";
  return "not a regular file";
}

void require_regular_if_exists(std::string const& path, std::string const& what) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return;
  throw InputError(what + " " + echo(path, 200) + ": not a regular file (it is " + file_kind(st.st_mode) +
                   "); only a regular file is read");
}

}  // namespace titan
