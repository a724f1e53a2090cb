#include "titan/checkpoint/checkpoint_inputs.hpp"

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

}  // namespace titan
