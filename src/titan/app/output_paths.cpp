#include "titan/app/output_paths.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/file_identity.hpp"

#include <algorithm>
#include <dirent.h>
#include <optional>
#include <sys/stat.h>
#include <utility>
#include <vector>

namespace titan {
namespace {

std::string shown(std::string const& flag, std::string const& path) { return flag + " " + echo(path, 200); }

// The identities of the regular files directly in `dir` (a checkpoint's
// index and shards), to catch a hard link to one of them elsewhere.
std::vector<FileId> files_in(std::string const& dir) {
  std::vector<FileId> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  int n = 0;
  while (struct dirent const* e = ::readdir(d)) {
    if (++n > 100000) break;  // a checkpoint has far fewer files; do not walk a huge folder
    std::string const name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::stat((dir + "/" + name).c_str(), &st) == 0 && S_ISREG(st.st_mode)) out.push_back({st.st_dev, st.st_ino});
  }
  ::closedir(d);
  return out;
}

}  // namespace

void check_output_paths(RunPaths const& p) {
  struct Input {
    std::string what, path;
  };
  std::vector<Input> const inputs = {{"the input deck", p.deck},
                                      {"the tokens file", p.tokens_file},
                                      {"the training tokens file", p.train_tokens_file}};
  std::vector<std::pair<std::string, std::string>> const outputs = {{"--report-json", p.report_json},
                                                                    {"--dump-logits", p.dump_logits},
                                                                    {"[train] dump_gradients", p.dump_gradients}};
  std::optional<FileId> const load = p.load_dir.empty() ? std::nullopt : file_id(p.load_dir);
  std::vector<FileId> const load_files = load ? files_in(p.load_dir) : std::vector<FileId>{};
  std::optional<FileId> const save = p.save_dir.empty() ? std::nullopt : file_id(p.save_dir);
  std::vector<std::pair<std::string, OutputId>> seen;  // outputs checked so far
  if (!p.save_dir.empty()) seen.emplace_back(shown("--save", p.save_dir), output_id(p.save_dir));

  for (auto const& [flag, path] : outputs) {
    if (path.empty()) continue;
    std::string const me = shown(flag, path);
    OutputId const id = output_id(path);
    for (auto const& in : inputs) {
      if (in.path.empty() || !id.file) continue;
      if (auto other = file_id(in.path); other && *other == *id.file)
        throw InputError(me + " is the same file as " + in.what + " " + echo(in.path, 200) + "; refusing to overwrite it");
    }
    // Where it would land: the file's directory (an existing file's own, links followed).
    std::optional<FileId> const dir = file_id(directory_part(path));
    if (load) {
      bool const of_load = id.file && std::find(load_files.begin(), load_files.end(), *id.file) != load_files.end();
      if (of_load || (dir && *dir == *load))
        throw InputError(me + " is inside the --load checkpoint " + echo(p.load_dir, 200) +
                         "; refusing to write into a checkpoint the run reads");
    }
    if (save && dir && *dir == *save)
      throw InputError(me + " is inside the --save directory " + echo(p.save_dir, 200) +
                       ", which the new checkpoint replaces; write it elsewhere");
    for (auto const& [other, other_id] : seen)
      if (id.same_as(other_id)) throw InputError(me + " and " + other + " are the same path; give each output its own");
    seen.emplace_back(me, id);
  }
}

}  // namespace titan
