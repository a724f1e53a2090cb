// Values from the user echoed in messages: shortened and escaped, so that a
// 100 MB string, an embedded NUL or a newline cannot flood or forge the one
// "titan_app: error: ..." line (issue 12). Host-only; no Kokkos, no toml++.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace titan {

//! Longest echo of a value, in characters of the original text.
constexpr std::size_t echo_max_chars = 60;

//! `text` as it may appear inside a message: control characters escaped
//! (\n, \t, \r, \0 as \x00, others as \xNN), a quote or backslash escaped
//! (\', \", \\), and, when longer than `max_chars`, cut there (never inside
//! a UTF-8 sequence or an escape) and followed by "… (N bytes)".
std::string echo(std::string_view text, std::size_t max_chars = echo_max_chars);
//! The same, for a library's own message text: quotes and backslashes kept.
std::string echo_text(std::string_view text, std::size_t max_chars = 200);

//! A number as a message shows it: the shortest decimal that reads back to
//! the same double (1e-09, 0.1, 2.5e+38), or inf, -inf, nan; never the
//! fixed six decimals of std::to_string that make 1e-9 read 0.000000.
std::string number_text(double v);

//! The final message text: Kokkos' "Traceback functionality not available"
//! note removed, control characters other than the newlines that separate
//! listed items escaped, and cut at `max_chars` (with "… (N bytes)").
std::string clean_message(std::string_view message, std::size_t max_chars = 4000);

}  // namespace titan
