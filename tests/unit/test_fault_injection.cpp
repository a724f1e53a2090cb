// The [debug] table (fault injection and memory guard switches): reading,
// checks against the run, and the injected failure itself.
#include "titan/app/fault_injection.hpp"
#include "titan/config/deck.hpp"
#include "titan/core/errors.hpp"
#include "titan/models/registry.hpp"

#include <catch2/catch.hpp>

using namespace titan;

namespace {

Deck deck_with(std::vector<std::string> const& sets, std::string const& text = "") {
  return read_deck_text(text, "d.toml", sets, deck_families());
}

}  // namespace

TEST_CASE("the debug table is off by default and not printed", "[fault]") {
  Deck const d = deck_with({});
  CHECK(d.debug.fail_rank == -1);
  CHECK(d.debug.fail_phase.empty());
  CHECK(d.debug.memory_available == 0);
  CHECK_FALSE(d.debug.any());
  CHECK_THAT(resolved_deck_toml(d), !Catch::Contains("[debug]"));
}

TEST_CASE("the debug table is read from the deck or --set and survives --print-config", "[fault]") {
  Deck const d = deck_with({"debug.fail_rank=1", "debug.fail_phase=init_states", "debug.memory_available=1000000"});
  CHECK(d.debug.fail_rank == 1);
  CHECK(d.debug.fail_phase == "init_states");
  CHECK(d.debug.memory_available == 1000000);
  Deck const again = read_deck_text(resolved_deck_toml(d), "resolved.toml", {}, deck_families());
  CHECK(again.debug.fail_rank == 1);
  CHECK(again.debug.fail_phase == "init_states");
  CHECK(again.debug.memory_available == 1000000);
  Deck const from_file = deck_with({}, "[debug]\nfail_rank = 0\nfail_phase = \"report\"\n");
  CHECK(from_file.debug.fail_phase == "report");
}

TEST_CASE("the debug table rejects unknown phases, bad ranks and half-given switches", "[fault]") {
  CHECK_THROWS_WITH(deck_with({"debug.fail_rank=0", "debug.fail_phase=init"}),
                    Catch::Contains("d.toml: [debug] fail_phase = 'init' is not a phase (valid: parse, build, plan, "
                                    "train_plan, fill, init_states, load, stats, verify, loads, forward, train, save, "
                                    "verify_layout, report)"));
  CHECK_THROWS_WITH(deck_with({"debug.fail_rank=-2", "debug.fail_phase=build"}),
                    Catch::Contains("fail_rank = -2 is not a rank"));
  CHECK_THROWS_WITH(deck_with({"debug.fail_rank=0"}), Catch::Contains("fail_rank = 0 needs fail_phase"));
  CHECK_THROWS_WITH(deck_with({"debug.fail_phase=stats"}), Catch::Contains("fail_phase = 'stats' needs fail_rank"));
  CHECK_THROWS_WITH(deck_with({"debug.fail_rank=\"1\""}), Catch::Contains("fail_rank must be an integer"));
  CHECK_THROWS_WITH(deck_with({"debug.memory_available=0"}), Catch::Contains("memory_available = 0 must be > 0"));
  CHECK_THROWS_AS(deck_with({"debug.fail_rank=0", "debug.fail_phase=init"}), InputError);
}

TEST_CASE("the failing rank must exist and its phase must run", "[fault]") {
  Deck const d = deck_with({}, "[debug]\nfail_rank = 2\nfail_phase = \"stats\"\n");
  CHECK_THROWS_WITH(check_fault_injection(d.debug, 2, false),
                    Catch::Contains("d.toml:2:13: [debug] fail_rank = 2 but the world has 2 ranks (ranks 0 to 1)"));
  CHECK_NOTHROW(check_fault_injection(d.debug, 3, false));
  CHECK_THROWS_WITH(check_fault_injection(d.debug, 3, true), Catch::Contains("does not run with --dry-run"));
  Deck const build = deck_with({"debug.fail_rank=0", "debug.fail_phase=build"});
  CHECK_NOTHROW(check_fault_injection(build.debug, 1, true));
  CHECK_NOTHROW(check_fault_injection(DebugSettings{}, 1, false));
}

TEST_CASE("only the chosen rank fails, only in the chosen phase, as a fault", "[fault]") {
  Deck const d = deck_with({"debug.fail_rank=1", "debug.fail_phase=init_states"});
  for (auto const& phase : fault_phase_names()) {
    CHECK_NOTHROW(inject_fault(d.debug, 0, phase));
    if (phase != "init_states") CHECK_NOTHROW(inject_fault(d.debug, 1, phase));
  }
  CHECK_THROWS_AS(inject_fault(d.debug, 1, "init_states"), RunError);  // exit status 1, not 2
  CHECK_THROWS_WITH(inject_fault(d.debug, 1, "init_states"), "injected failure on rank 1 in phase init_states");
  CHECK_NOTHROW(inject_fault(DebugSettings{}, 0, "parse"));
}
