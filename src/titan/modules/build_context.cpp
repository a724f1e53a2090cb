#include "titan/modules/build_context.hpp"

#include "titan/core/errors.hpp"

#include <algorithm>

namespace titan {

BuildContext BuildContext::child(std::string const& name) const {
  BuildContext c = *this;
  c.prefix = prefix + name + ".";
  return c;
}

std::int64_t BuildArgs::take(std::string const& name, std::optional<std::int64_t> const& config_value,
                             std::string const& where) {
  auto it = std::find_if(_args.begin(), _args.end(), [&](auto const& a) { return a.first == name; });
  bool const from_arg = it != _args.end();
  if (from_arg && config_value)
    throw InputError(where + ": build argument '" + name + "' = " + std::to_string(it->second) +
                     " duplicates the Config field " + name + " = " + std::to_string(*config_value) +
                     " (a value is set in the Config or passed by the parent, never both)");
  if (!from_arg && !config_value)
    throw InputError(where + ": '" + name + "' is neither set in the Config nor passed as a build argument");
  _taken.push_back(name);
  return from_arg ? it->second : *config_value;
}

void BuildArgs::expect_all_taken(std::string const& where) const {
  for (auto const& a : _args)
    if (std::find(_taken.begin(), _taken.end(), a.first) == _taken.end())
      throw InputError(where + ": unknown build argument '" + a.first + "'");
}

}  // namespace titan
