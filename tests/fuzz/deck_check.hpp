// The property the deck fuzzer checks, shared with the regression test that
// replays its findings (tests/unit/test_fuzz_regressions.cpp).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace titan {

//! A finding: the program misbehaved on some deck (not bad input).
class FuzzFinding : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

//! Runs a deck text through what titan_app does before allocating: the deck
//! reader, the [debug] checks, the mesh for `world` ranks, make_model_config,
//! a build that allocates nothing (the memory guard's plan) for the last
//! rank, the override matching and the memory guard's decision; and checks
//! that the resolved deck (--print-config) reads back to itself. Bad input
//! throws InputError; a FuzzFinding (or any other exception, a crash, a
//! sanitizer report) is a bug. Models with more than 64 layers are read and
//! configured but not built, to keep one input fast.
void check_deck_text(std::string const& text, int world);

//! The separator of a whole-program fuzz input: "ARG\nARG\n...%%\nDECK".
constexpr char const* command_line_separator = "%%\n";

//! The whole command line and the deck (issue 12). `input` is split at the
//! first "%%\n": before it, one argument per line (the command line after
//! "titan_app"); after it, the deck text. Without a separator the whole
//! input is the deck. parse_command_line runs on the arguments; then the
//! deck is read with the command line's --set assignments, and checked as
//! check_deck_text does (round trip of the resolved deck, mesh for --ranks
//! or `world` ranks, build, override matching, memory verdict). Every
//! message of an InputError must be one line of bounded length (values
//! echoed shortened and escaped).
void check_command_line_and_deck(std::string const& input, int world);

//! The same for a command line given as its arguments (after "titan_app")
//! and a deck text: parse_command_line (Kokkos' own flags included), then
//! the deck read with the --set assignments and checked as above. The
//! command-line fuzzer's property (fuzz_command_line.cpp).
void check_arguments_and_deck(std::vector<std::string> const& arguments, std::string const& deck_text, int world);

}  // namespace titan
