#include "titan/checkpoint/checkpoint_overwrite.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/file_identity.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <functional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace titan {
namespace {

constexpr char const* index_name = "model.safetensors.index.json";
constexpr std::uint64_t max_index_bytes = std::uint64_t(1) << 30;   // a 1 GiB index is no checkpoint of ours
constexpr std::uint64_t max_header_bytes = 100000000;               // the safetensors library's limit

// Reads at most `limit` bytes of a regular file (false when it cannot).
bool read_prefix(std::string const& path, std::uint64_t offset, std::uint64_t n, std::string& out) {
  int const fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return false;
  out.assign(static_cast<std::size_t>(n), '\0');
  std::uint64_t done = 0;
  while (done < n) {
    ssize_t const r = ::pread(fd, &out[done], static_cast<std::size_t>(n - done), static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<std::uint64_t>(r);
  }
  ::close(fd);
  out.resize(static_cast<std::size_t>(done));
  return done == n;
}

// True when `path` is a regular file (not a link) whose safetensors header
// says it was written by titan_app.
bool written_by_titan(std::string const& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  std::uint64_t const size = static_cast<std::uint64_t>(st.st_size);
  std::string prefix;
  if (size < 8 || !read_prefix(path, 0, 8, prefix)) return false;
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(prefix[static_cast<std::size_t>(i)]);
  if (n == 0 || n > max_header_bytes || n > size - 8) return false;
  std::string header;
  if (!read_prefix(path, 8, n, header)) return false;
  nlohmann::json const j = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  auto const meta = j.find("__metadata__");
  if (meta == j.end() || !meta->is_object()) return false;
  auto const program = meta->find("program");
  return program != meta->end() && program->is_string() && program->get<std::string>() == "titan_app";
}

std::string home_of_this_user() {
  char const* home = std::getenv("HOME");
  return home ? home : "";
}

// The files of the titan_app checkpoint in `dir` (names relative to the
// checkpoint's top, `prefix` + name): its index, the shards its weight_map
// names, config.json (when `top`), and, when `top`, the optimizer/
// directory of a training checkpoint (its own index and shards, then the
// directory itself). Anything else is refused.
std::vector<std::string> checkpoint_files(std::string const& dir, std::string const& prefix, bool top,
                                          std::function<void(std::string const&)> const& refuse) {
  std::string index_text;
  std::string const index_path = dir + "/" + index_name;
  struct stat ist;
  if (::lstat(index_path.c_str(), &ist) != 0 || !S_ISREG(ist.st_mode))
    refuse(std::string("it has no ") + index_name + " (a regular file)");
  if (static_cast<std::uint64_t>(ist.st_size) > max_index_bytes ||
      !read_prefix(index_path, 0, static_cast<std::uint64_t>(ist.st_size), index_text))
    refuse(std::string("its ") + index_name + " cannot be read");
  nlohmann::json const index = nlohmann::json::parse(index_text, nullptr, /*allow_exceptions=*/false);
  auto const map = index.is_object() ? index.find("weight_map") : index.end();
  if (!index.is_object() || map == index.end() || !map->is_object() || map->empty())
    refuse(std::string("its ") + index_name + " is not a checkpoint index (no weight_map)");
  std::set<std::string> shards;
  for (auto const& [name, file] : map->items()) {
    (void)name;
    if (!file.is_string()) refuse(std::string("its ") + index_name + " names a file that is not a string");
    std::string const f = file.get<std::string>();
    if (f.empty() || f == "." || f == ".." || f.find('/') != std::string::npos)
      refuse(std::string("its ") + index_name + " names a file outside it ('" + echo(f) + "')");
    shards.insert(f);
  }
  for (auto const& f : shards)
    if (!written_by_titan(dir + "/" + f))
      refuse(echo(f) + " is not a safetensors file written by titan_app");

  std::vector<std::string> files(shards.begin(), shards.end());
  files.push_back(index_name);
  DIR* d = ::opendir(dir.c_str());
  if (!d) refuse(std::string("its contents cannot be listed (") + std::strerror(errno) + ")");
  bool has_config = false, optimizer = false;
  std::string stranger;
  while (struct dirent const* e = ::readdir(d)) {
    std::string const name = e->d_name;
    if (name == "." || name == "..") continue;
    if (name == index_name || shards.count(name)) continue;
    struct stat cst;
    if (top && name == "config.json" && ::lstat((dir + "/" + name).c_str(), &cst) == 0 && S_ISREG(cst.st_mode)) {
      has_config = true;
      continue;
    }
    if (top && name == "optimizer" && ::lstat((dir + "/" + name).c_str(), &cst) == 0 && S_ISDIR(cst.st_mode)) {
      optimizer = true;
      continue;
    }
    if (stranger.empty()) stranger = name;
  }
  ::closedir(d);
  if (!stranger.empty()) refuse("it holds '" + echo(stranger) + "', which is not part of a titan_app checkpoint");
  if (has_config) files.push_back("config.json");
  for (auto& f : files) f = prefix + f;
  if (optimizer) {  // its files first, then the directory (removed once empty)
    for (auto const& f : checkpoint_files(dir + "/optimizer", prefix + "optimizer/", false, refuse)) files.push_back(f);
    files.push_back(prefix + "optimizer");
  }
  return files;
}

}  // namespace

std::vector<std::string> check_replaceable_checkpoint(std::string const& dir, std::string const& shown_in,
                                                      std::vector<NamedPath> const& inputs) {
  std::string const shown = "--save " + echo(shown_in, 200) + " --overwrite";
  auto refuse = [&](std::string const& why) {
    throw InputError(shown + ": not replacing it: " + why + "; --overwrite replaces only a titan_app checkpoint");
  };
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) return {};  // nothing to replace
  if (S_ISLNK(st.st_mode)) refuse("it is a symbolic link");
  if (!S_ISDIR(st.st_mode)) refuse("it exists and is not a directory");
  FileId const me{st.st_dev, st.st_ino};

  // Places the run or its user stand in.
  if (auto root = file_id("/"); root && *root == me) refuse("it is the root directory");
  std::vector<FileId> const cwd = self_and_ancestors(".");
  if (!cwd.empty() && cwd.front() == me) refuse("it is the current directory");
  if (std::find(cwd.begin(), cwd.end(), me) != cwd.end()) refuse("it contains the current directory");
  std::set<std::string> homes;
  if (std::string const h = home_of_this_user(); !h.empty()) homes.insert(h);
  ::setpwent();
  while (struct passwd const* pw = ::getpwent())
    if (pw->pw_dir && *pw->pw_dir) homes.insert(pw->pw_dir);
  ::endpwent();
  for (auto const& h : homes)
    if (auto id = file_id(h); id && *id == me) refuse("it is a home directory (" + echo(h, 100) + ")");
  for (auto const& in : inputs) {
    if (in.path.empty()) continue;
    std::vector<FileId> const up = self_and_ancestors(in.path);
    if (!up.empty() && up.front() == me) refuse("it is " + in.what + " " + echo(in.path, 100));
    if (std::find(up.begin(), up.end(), me) != up.end()) refuse("it holds " + in.what + " " + echo(in.path, 100));
  }

  // Its contents: one titan_app checkpoint and nothing else.
  std::vector<std::string> files = checkpoint_files(dir, "", true, refuse);
  return files;
}

}  // namespace titan
