#include "titan/checkpoint/hf_adapter.hpp"

#include "titan/core/errors.hpp"

namespace titan {

bool HfAdapter::ignored_on_load(std::string const& name) const {
  // HF's rotary embedding buffer in some older checkpoints (torchtitan maps it to None).
  std::string const s = "rotary_emb.inv_freq";
  return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
}

std::vector<PieceLayout> HfAdapter::buffer_layouts(std::string const&, Extents const&) const { return {}; }

bool split_indexed(std::string const& fqn, std::string const& prefix, std::string& index, std::string& rest) {
  if (fqn.compare(0, prefix.size(), prefix) != 0) return false;
  std::size_t const dot = fqn.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size()) return false;
  index = fqn.substr(prefix.size(), dot - prefix.size());
  for (char c : index)
    if (c < '0' || c > '9') return false;
  rest = fqn.substr(dot + 1);
  return true;
}

std::string renamed(std::string const& rest, std::vector<std::pair<char const*, char const*>> const& table) {
  for (auto const& [titan_name, hf_name] : table)
    if (rest == titan_name) return hf_name;
  return "";
}

void no_hf_name(std::string const& family, std::string const& fqn) {
  throw InputError("Hugging Face names: parameter " + fqn + " of family '" + family + "' has no Hugging Face name");
}

}  // namespace titan
