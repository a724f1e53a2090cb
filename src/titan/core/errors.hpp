// The error types of titan: bad user input vs. a fault while running.
#pragma once

#include <stdexcept>
#include <string>

namespace titan {

//! Bad input from the user (deck, command line, configuration). The message is
//! complete ("file:line:col: [table] what is wrong, what would be right"); the
//! driver prints it once from rank 0 and every rank exits non-zero.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

//! A fault while running (allocation, I/O, injected failure) that may happen on
//! some ranks only; the driver turns it into a collective exit.
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

//! Throws InputError(msg) unless cond holds.
inline void require(bool cond, std::string const& msg) {
  if (!cond) throw InputError(msg);
}

//! Throws RunError("internal: " + msg) unless cond holds: a broken invariant
//! of titan's own code, never the user's input.
inline void require_internal(bool cond, std::string const& msg) {
  if (!cond) throw RunError("internal: " + msg);
}

}  // namespace titan
