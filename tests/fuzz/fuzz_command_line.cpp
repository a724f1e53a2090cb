// libFuzzer entry point for the command line (issue 19): each input is the
// arguments after "titan_app", separated by NUL bytes (any other byte,
// newlines included, can be part of an argument, as in a real argv), with
// "fuzz.toml" appended as the deck's name; the deck's text is one of the
// debug decks in inputs/ (chosen by the input's length), read once at start.
// check_arguments_and_deck (deck_check.hpp) parses the command line (Kokkos'
// own flags included), reads the deck with the --set assignments and checks
// it for 1 to 4 ranks. InputError is the expected outcome of bad input, with
// a bounded, escaped message; anything else aborts, so libFuzzer keeps the
// input. Run with scripts/fuzz.sh.
#include "deck_check.hpp"

#include "titan/core/errors.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> g_decks;

std::string read_file(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  Kokkos::initialize(*argc, *argv);
  for (char const* deck : {"llama3_debug", "qwen3_debug", "llama4_debug", "deepseek_v3_debug", "gpt_oss_debug",
                           "flux_debug"}) {
    std::string text = read_file(std::string(TITAN_SOURCE_DIR) + "/inputs/" + deck + ".toml");
    if (text.empty()) {
      std::fprintf(stderr, "fuzz_command_line: cannot read inputs/%s.toml\n", deck);
      std::abort();
    }
    g_decks.push_back(std::move(text));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::vector<std::string> args(1);
  for (std::size_t i = 0; i < size && args.size() <= 63; ++i) {
    if (data[i] == 0) args.emplace_back();
    else args.back() += static_cast<char>(data[i]);
  }
  if (args.size() > 63) args.resize(63);
  args.push_back("fuzz.toml");
  try {
    titan::check_arguments_and_deck(args, g_decks[size % g_decks.size()], 1 + static_cast<int>(size % 4));
  } catch (titan::InputError const&) {
    // bad input, reported as such
  } catch (std::exception const& e) {
    std::fprintf(stderr, "fuzz_command_line: %s\n", e.what());
    std::abort();
  }
  return 0;
}
