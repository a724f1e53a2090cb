// Reads one TOML table of the deck, checking types and remembering which
// keys were asked for, so that any key left over is reported as unknown
// (with a "did you mean" when it is close to a known one).
#pragma once

#include "titan/config/closest_match.hpp"

#include <toml++/toml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace titan {

//! "file:line:col" of a node ("file" when the node has no position).
std::string position_of(toml::node const& node, std::string const& fallback_file);

class TableReader {
 public:
  //! `name` is the dotted table path for messages ("model", "init.overrides").
  TableReader(toml::table const* table, std::string name, std::string file);

  std::optional<std::int64_t> get_int(std::string const& key);
  std::optional<double> get_double(std::string const& key);  // an integer is accepted
  std::optional<bool> get_bool(std::string const& key);
  std::optional<std::string> get_string(std::string const& key);
  //! An array whose every element is an integer (may be empty).
  std::optional<std::vector<std::int64_t>> get_int_list(std::string const& key);
  //! A sub-table (absent = empty reader). A non-table value is an error.
  TableReader sub(std::string const& key);
  //! Declares a key as known without reading it.
  void know(std::string const& key) { _known.push_back(key); }

  //! Throws InputError for the first key that no get/sub/know asked for;
  //! `hint(key)` may add to the message (e.g. which other table knows it).
  void finish(std::function<std::string(std::string const&)> const& hint = {}) const;

  //! "file:line:col: [name]" prefix for messages about `key` (or the table).
  std::string where(std::string const& key = "") const;
  std::string const& name() const { return _name; }
  std::string const& file() const { return _file; }
  toml::table const* table() const { return _table; }

 private:
  toml::node const* find(std::string const& key);
  [[noreturn]] void wrong_type(std::string const& key, char const* expected) const;

  toml::table const* _table;  // may be null (absent table)
  std::string _name, _file;
  std::vector<std::string> _known;
};

}  // namespace titan
