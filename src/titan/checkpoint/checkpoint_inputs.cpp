#include "titan/checkpoint/checkpoint_inputs.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/file_identity.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <set>
#include <sys/stat.h>

namespace titan {

void check_checkpoint_inputs(std::string const& dir) {
  std::string const index = dir + "/model.safetensors.index.json";
  require_regular_if_exists(index, "--load: the checkpoint index");
  struct stat st;
  if (::stat(index.c_str(), &st) != 0 || st.st_size > (std::int64_t(1) << 30)) return;
  std::ifstream in(index, std::ios::binary);
  std::string const text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  nlohmann::json const j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return;
  auto const map = j.find("weight_map");
  if (map == j.end() || !map->is_object()) return;
  std::set<std::string> files;
  for (auto it = map->begin(); it != map->end(); ++it)
    if (it.value().is_string()) files.insert(it.value().get<std::string>());
  for (auto const& f : files)
    if (!f.empty() && f.find('/') == std::string::npos && f != "." && f != "..")
      require_regular_if_exists(dir + "/" + f, "--load: the checkpoint file");
}

void check_checkpoint_identity(std::vector<std::pair<std::string, std::string>> const& metadata,
                               CheckpointIdentity const& run, std::string const& dir) {
  auto value = [&](std::string const& key) {
    for (auto const& [k, v] : metadata)
      if (k == key) return v;
    return std::string();
  };
  if (value("program") != "titan_app") return;
  std::string const where = "--load " + echo(dir, 200) + ": ";
  std::string const family = value("family"), flavor = value("flavor"), names = value("names");
  if (!family.empty() && family != run.family)
    throw InputError(where + "the checkpoint holds a '" + echo(family) + "' model (its metadata's family) but the deck builds '" +
                     echo(run.family) + "'; load it with a " + echo(family) + " deck");
  if (!flavor.empty() && flavor != run.flavor)
    throw InputError(where + "the checkpoint holds " + echo(family) + " flavor '" + echo(flavor) +
                     "' (its metadata's flavor) but the deck builds flavor '" + echo(run.flavor) + "'");
  if (!names.empty() && names != run.names)
    throw InputError(where + "the checkpoint was saved with " + echo(names) + " names but this run reads " +
                     echo(run.names) + " names; give --load-names " + echo(names) + " (or --checkpoint-names " + echo(names) + ")");
}

}  // namespace titan
