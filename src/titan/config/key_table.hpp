// The [model] keys of a family, declared as data: name, type, range and the
// member that holds the value. The deck reader reads, checks and prints them
// without knowing the family (the family registry lives in models/), and
// without this header depending on TOML.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace titan {

struct KeySpec {
  enum class Kind { integer, optional_integer, number, optional_number, text, boolean, integer_list };
  std::string name;
  Kind kind = Kind::integer;
  void* target = nullptr;     // std::int64_t, std::optional<std::int64_t>, double, std::optional<double>, std::string,
                              // bool, std::vector<std::int64_t>
  double lower = 0;           // numbers: value must be > lower (integers and list entries: >= lower)
  std::size_t max_entries = 0;  // integer_list: at most this many entries (at least one)
  std::vector<std::string> choices;  // text: the allowed values (empty = any)
};

class KeyTable {
 public:
  //! An integer >= `min`.
  void integer(char const* name, std::int64_t& v, std::int64_t min = 1) { add(name, KeySpec::Kind::integer, &v, min); }
  //! An integer >= `min` that may be absent (the family then derives it).
  void optional_integer(char const* name, std::optional<std::int64_t>& v, std::int64_t min = 1) {
    add(name, KeySpec::Kind::optional_integer, &v, static_cast<double>(min));
  }
  //! A finite number > `above`.
  void number(char const* name, double& v, double above = 0) { add(name, KeySpec::Kind::number, &v, above); }
  void optional_number(char const* name, std::optional<double>& v, double above = 0) {
    add(name, KeySpec::Kind::optional_number, &v, above);
  }
  //! A string, one of `choices`.
  void choice(char const* name, std::string& v, std::vector<std::string> choices) {
    add(name, KeySpec::Kind::text, &v, 0);
    _keys.back().choices = std::move(choices);
  }
  void boolean(char const* name, bool& v) { add(name, KeySpec::Kind::boolean, &v, 0); }
  //! A non-empty array of at most `max_entries` integers, each >= `min`
  //! (TOML `key = [16, 56, 56]`); a deck value replaces the whole list.
  void integer_list(char const* name, std::vector<std::int64_t>& v, std::int64_t min = 1, std::size_t max_entries = 64) {
    add(name, KeySpec::Kind::integer_list, &v, static_cast<double>(min));
    _keys.back().max_entries = max_entries;
  }

  std::vector<KeySpec> const& keys() const { return _keys; }
  std::vector<std::string> names() const {
    std::vector<std::string> n;
    for (auto const& k : _keys) n.push_back(k.name);
    return n;
  }

 private:
  void add(char const* name, KeySpec::Kind kind, void* target, double lower) {
    KeySpec k;
    k.name = name;
    k.kind = kind;
    k.target = target;
    k.lower = lower;
    _keys.push_back(std::move(k));
  }
  std::vector<KeySpec> _keys;
};

}  // namespace titan
