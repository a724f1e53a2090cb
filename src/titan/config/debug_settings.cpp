#include "titan/config/debug_settings_reader.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"

#include <algorithm>

namespace titan {

std::vector<std::string> const& fault_phase_names() {
  // Every phase of the driver (app/run_phases.cpp), in the order they run.
  static std::vector<std::string> const names = {"parse", "build",  "plan",  "train_plan", "fill",    "init_states",   "load",
                                                 "stats", "verify", "loads", "forward", "train", "save", "verify_layout", "report"};
  return names;
}

namespace {

std::string joined(std::vector<std::string> const& words) {
  std::string s;
  for (auto const& w : words) s += (s.empty() ? "" : ", ") + w;
  return s;
}

}  // namespace

DebugSettings read_debug_settings(TableReader& t) {
  DebugSettings s;
  if (auto rank = t.get_int("fail_rank")) {
    require(*rank >= -1 && *rank < (1 << 24),
            t.where("fail_rank") + " fail_rank = " + std::to_string(*rank) + " is not a rank (use -1 for none)");
    s.fail_rank = static_cast<int>(*rank);
    s.fail_rank_where = t.where("fail_rank");
  }
  std::string const valid = joined(fault_phase_names());
  if (auto phase = t.get_string("fail_phase")) {
    auto const& names = fault_phase_names();
    require(std::find(names.begin(), names.end(), *phase) != names.end(),
            t.where("fail_phase") + " fail_phase = '" + echo(*phase) + "' is not a phase (valid: " + valid + ")");
    s.fail_phase = *phase;
  }
  if (auto module = t.get_string("fail_module")) {
    require(!module->empty(), t.where("fail_module") + " fail_module = '' names no module (leave it out for none)");
    s.fail_module = *module;
    s.fail_module_where = t.where("fail_module");
  }
  if (auto bytes = t.get_int("memory_available")) {
    require(*bytes > 0, t.where("memory_available") + " memory_available = " + std::to_string(*bytes) +
                            " must be > 0 (bytes; leave it out to measure)");
    s.memory_available = *bytes;
  }
  t.finish();  // a misspelt key first: it explains a missing partner below
  require(s.fail_rank < 0 || !s.fail_phase.empty(),
          t.where("fail_rank") + " fail_rank = " + std::to_string(s.fail_rank) +
              " needs fail_phase, the phase in which that rank fails (one of: " + valid + ")");
  require(s.fail_rank >= 0 || s.fail_phase.empty(),
          t.where("fail_phase") + " fail_phase = '" + s.fail_phase + "' needs fail_rank, the rank that fails");
  require(s.fail_module.empty() || s.fail_phase == "train",
          s.fail_module_where + " fail_module = '" + echo(s.fail_module) +
              "' needs fail_phase = 'train' and a fail_rank (the module's forward throws in a training step)");
  return s;
}

void print_debug_settings(DebugSettings const& s, toml::table& out) {
  if (s.fail_rank >= 0) {
    out.insert("fail_rank", s.fail_rank);
    out.insert("fail_phase", s.fail_phase);
    if (!s.fail_module.empty()) out.insert("fail_module", s.fail_module);
  }
  if (s.memory_available > 0) out.insert("memory_available", s.memory_available);
}

}  // namespace titan
