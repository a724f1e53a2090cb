#include "titan/models/registry.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/deepseek_v3/deepseek_v3_family.hpp"
#include "titan/models/flux/flux_family.hpp"
#include "titan/models/gpt_oss/gpt_oss_family.hpp"
#include "titan/models/llama3/llama3_family.hpp"
#include "titan/models/llama4/llama4_family.hpp"
#include "titan/models/qwen3/qwen3_family.hpp"

namespace titan {

std::vector<Family> const& families() {
  static std::vector<Family> const all = {
      llama3_family(),
      llama4_family(),
      qwen3_family(),
      deepseek_v3_family(),
      gpt_oss_family(),
      flux_family(),
  };
  return all;
}

std::vector<DeckFamily> deck_families() {
  std::vector<DeckFamily> out;
  for (auto const& f : families()) out.push_back(f.deck);
  return out;
}

Family const& find_family(std::string const& name) {
  for (auto const& f : families())
    if (f.deck.name == name) return f;
  throw InputError("[model] unknown family '" + name + "'");
}

}  // namespace titan
