// Replays the deck fuzzer's property (tests/fuzz/deck_check.hpp) on its seeds
// (inputs/, tests/inputs/bad/) and on every input with which it found a bug
// (tests/fuzz/regressions/), for 1 to 4 ranks: each deck is read cleanly or
// refused with InputError; a FuzzFinding or any other exception is a failure
// (and a crash or sanitizer report fails the ASan build's run of this test).
#include "../fuzz/deck_check.hpp"
#include "titan/core/errors.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace titan;

namespace {

std::vector<std::filesystem::path> decks_in(std::string const& dir) {
  std::vector<std::filesystem::path> out;
  for (auto const& e : std::filesystem::directory_iterator(std::string(TITAN_SOURCE_DIR) + "/" + dir))
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

void replay(std::string const& dir) {
  for (auto const& path : decks_in(dir)) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    for (int world = 1; world <= 4; ++world) {
      INFO(path.string() << " on " << world << " ranks");
      try {
        check_command_line_and_deck(text.str(), world);  // a plain deck has no "%%" line
      } catch (InputError const&) {
        // refused as bad input: fine
      } catch (std::exception const& e) {
        FAIL(e.what());
      }
    }
  }
}

}  // namespace

TEST_CASE("the fuzzer's seed decks are read or refused cleanly", "[fuzz]") {
  REQUIRE(decks_in("inputs").size() >= 5);
  replay("inputs");
  replay("tests/inputs/bad");
}

TEST_CASE("the decks the fuzzer found bugs with are read or refused cleanly", "[fuzz]") {
  replay("tests/fuzz/regressions");
}

// The command-line fuzzer's property (check_arguments_and_deck) on its seeds
// and findings (NUL-separated arguments, "fuzz.toml" appended), with each
// debug deck, for 1 to 4 ranks (issue 19).
TEST_CASE("the command-line fuzzer's seeds and findings are parsed or refused cleanly", "[fuzz]") {
  std::vector<std::string> decks;
  for (char const* d : {"llama3_debug", "qwen3_debug", "llama4_debug", "deepseek_v3_debug", "gpt_oss_debug", "flux_debug"}) {
    std::ifstream in(std::string(TITAN_SOURCE_DIR) + "/inputs/" + d + ".toml", std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    decks.push_back(text.str());
  }
  std::size_t inputs = 0;
  for (char const* dir : {"tests/fuzz/command_line_seeds", "tests/fuzz/regressions_command_line"})
    for (auto const& path : decks_in(dir)) {
      ++inputs;
      std::ifstream in(path, std::ios::binary);
      std::string const bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::vector<std::string> args(1);
      for (char c : bytes) {
        if (c == '\0') args.emplace_back();
        else args.back() += c;
      }
      args.push_back("fuzz.toml");
      for (auto const& deck : decks)
        for (int world = 1; world <= 4; ++world) {
          INFO(path.string() << " on " << world << " ranks");
          try {
            check_arguments_and_deck(args, deck, world);
          } catch (InputError const&) {
            // refused as bad input: fine
          } catch (std::exception const& e) {
            FAIL(e.what());
          }
        }
    }
  CHECK(inputs >= 8);
}
