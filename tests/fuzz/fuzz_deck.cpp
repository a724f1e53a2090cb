// libFuzzer entry point: each input is a command line and a deck
// ("ARG\nARG\n%%\nDECK", or just a deck), checked by
// check_command_line_and_deck (deck_check.hpp) for 1 to 4 ranks (chosen by
// the input's length). InputError is the expected outcome of bad input; anything else
// aborts, so libFuzzer keeps the input as a crash. Run with scripts/fuzz.sh.
#include "deck_check.hpp"

#include "titan/core/errors.hpp"

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  Kokkos::initialize(*argc, *argv);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string const text(reinterpret_cast<char const*>(data), size);
  try {
    titan::check_command_line_and_deck(text, 1 + static_cast<int>(size % 4));
  } catch (titan::InputError const&) {
    // bad input, reported as such
  } catch (std::exception const& e) {
    std::fprintf(stderr, "fuzz_deck: %s\n", e.what());
    std::abort();
  }
  return 0;
}
