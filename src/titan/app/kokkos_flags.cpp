#include "titan/app/kokkos_flags.hpp"

#include "titan/config/closest_match.hpp"
#include "titan/core/echo.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace titan {
namespace {

enum class Kind { none, boolean, count, device, devices, text, device_map };

struct Flag {
  char const* name;
  Kind kind;
};

// Kokkos 3.4 and 4.x (deprecated spellings included, as Kokkos still takes them).
std::vector<Flag> const& flags() {
  static std::vector<Flag> const f = {
      {"--kokkos-help", Kind::none},           {"--kokkos-disable-warnings", Kind::boolean},
      {"--kokkos-print-configuration", Kind::boolean}, {"--kokkos-tune-internals", Kind::boolean},
      {"--kokkos-threads", Kind::count},       {"--kokkos-num-threads", Kind::count},
      {"--kokkos-numa", Kind::count},          {"--kokkos-device-id", Kind::device},
      {"--kokkos-skip-device", Kind::device},  {"--kokkos-num-devices", Kind::devices},
      {"--kokkos-ndevices", Kind::devices},    {"--kokkos-map-device-id-by", Kind::device_map},
      {"--kokkos-tools-library", Kind::text},  {"--kokkos-tools-libs", Kind::text},
      {"--kokkos-tools-args", Kind::text},     {"--kokkos-tools-help", Kind::none}};
  return f;
}

// A whole number in [0, max] written in decimal digits only.
bool whole(std::string const& s, long max) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return std::stol(s) <= max;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string kokkos_flag_problem(std::string const& arg) {
  std::size_t const eq = arg.find('=');
  std::string const name = arg.substr(0, eq);
  bool const has_value = eq != std::string::npos;
  std::string const value = has_value ? arg.substr(eq + 1) : std::string();
  auto const it = std::find_if(flags().begin(), flags().end(), [&](Flag const& f) { return name == f.name; });
  if (it == flags().end()) {
    std::vector<std::string> names;
    for (auto const& f : flags()) names.push_back(f.name);
    std::string msg = "unknown Kokkos option '" + echo(arg) + "'";
    std::string const close = closest_match(name, names);
    if (!close.empty()) msg += " (did you mean '" + close + "'?)";
    return msg + "; see --help";
  }
  std::string const shown = echo(arg) + ": expected ";
  switch (it->kind) {
    case Kind::none:
      return has_value ? name + " takes no value (got '" + echo(arg) + "')" : "";
    case Kind::boolean: {
      std::string const v = lower(value);
      bool const ok = !has_value || v == "true" || v == "false" || v == "1" || v == "0" || v == "on" || v == "off" ||
                      v == "yes" || v == "no";
      return ok ? "" : shown + name + " or " + name + "=true|false";
    }
    case Kind::count:
      return has_value && whole(value, 65535) ? "" : shown + name + "=N, N a whole number from 0 to 65535";
    case Kind::device:
      return has_value && whole(value, 4095) ? "" : shown + name + "=N, N a device number from 0 to 4095";
    case Kind::devices: {
      std::size_t const comma = value.find(',');
      std::string const n = value.substr(0, comma), skip = comma == std::string::npos ? "" : value.substr(comma + 1);
      bool const ok = has_value && whole(n, 4096) && n != "0" &&
                      (comma == std::string::npos || (whole(skip, 4095) && std::stol(skip) < std::stol(n)));
      return ok ? "" : shown + name + "=N or " + name + "=N,S: N devices (1 to 4096), S one of them to skip";
    }
    case Kind::text:
      return has_value && !value.empty() ? "" : shown + name + "=VALUE";
    case Kind::device_map:
      return value == "mpi_rank" || value == "random" ? "" : shown + name + "=mpi_rank or " + name + "=random";
  }
  return "";
}

std::string kokkos_flags_help() {
  return R"(Kokkos' own options (checked here, then passed to Kokkos):
  --kokkos-threads=N, --kokkos-num-threads=N, --kokkos-numa=N
  --kokkos-device-id=N, --kokkos-num-devices=N[,S], --kokkos-skip-device=N,
  --kokkos-map-device-id-by=mpi_rank|random
  --kokkos-tools-library=LIB, --kokkos-tools-args=ARGS, --kokkos-tools-help
  --kokkos-disable-warnings, --kokkos-print-configuration, --kokkos-tune-internals,
  --kokkos-help
)";
}

}  // namespace titan
