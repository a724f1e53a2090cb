#include "titan/app/fault_injection.hpp"

#include "titan/core/errors.hpp"

#include <algorithm>
#include <cassert>

namespace titan {

void check_fault_injection(DebugSettings const& s, int world_size, bool dry_run) {
  if (s.fail_rank < 0) return;
  require(s.fail_rank < world_size, s.fail_rank_where + " fail_rank = " + std::to_string(s.fail_rank) +
                                        " but the world has " + std::to_string(world_size) +
                                        (world_size == 1 ? " rank" : " ranks") + " (ranks 0 to " +
                                        std::to_string(world_size - 1) + ")");
  static std::vector<std::string> const dry_run_phases = {"parse", "build", "plan", "train_plan", "verify_layout", "report"};
  require(!dry_run || std::find(dry_run_phases.begin(), dry_run_phases.end(), s.fail_phase) != dry_run_phases.end(),
          s.fail_rank_where + " fail_phase = '" + s.fail_phase +
              "' does not run with --dry-run (a dry run has parse, build, plan, train_plan with --train, verify_layout and report)");
}

void inject_fault(DebugSettings const& s, int rank, std::string const& phase) {
  auto const& names = fault_phase_names();
  assert(std::find(names.begin(), names.end(), phase) != names.end());
  (void)names;
  if (s.fail_rank == rank && s.fail_phase == phase && s.fail_module.empty())  // else inside the module (training)
    throw RunError("injected failure on rank " + std::to_string(rank) + " in phase " + phase);
}

}  // namespace titan
