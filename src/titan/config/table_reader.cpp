#include "titan/config/table_reader.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"

#include <algorithm>
#include <sstream>

namespace titan {

std::string position_of(toml::node const& node, std::string const& fallback_file) {
  auto const& src = node.source();
  std::string file = src.path ? std::string(*src.path) : fallback_file;
  if (src.begin.line == 0) return file;
  return file + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

TableReader::TableReader(toml::table const* table, std::string name, std::string file)
    : _table(table), _name(std::move(name)), _file(std::move(file)) {}

std::string TableReader::where(std::string const& key) const {
  std::string pos = _file;
  if (_table) {
    toml::node const* n = key.empty() ? nullptr : _table->get(key);
    pos = n ? position_of(*n, _file) : position_of(*_table, _file);
  }
  return pos + ": [" + (_name.empty() ? std::string("deck") : _name) + "]";
}

toml::node const* TableReader::find(std::string const& key) {
  _known.push_back(key);
  return _table ? _table->get(key) : nullptr;
}

void TableReader::wrong_type(std::string const& key, char const* expected) const {
  toml::node const* n = _table->get(key);
  std::ostringstream got;
  got << n->type();
  throw InputError(where(key) + " " + key + " must be " + expected + " (got " + got.str() + ")");
}

std::optional<std::int64_t> TableReader::get_int(std::string const& key) {
  toml::node const* n = find(key);
  if (!n) return std::nullopt;
  if (auto v = n->value_exact<std::int64_t>()) return *v;
  wrong_type(key, "an integer");
}

std::optional<double> TableReader::get_double(std::string const& key) {
  toml::node const* n = find(key);
  if (!n) return std::nullopt;
  if (auto v = n->value_exact<double>()) return *v;
  if (auto v = n->value_exact<std::int64_t>()) return static_cast<double>(*v);
  wrong_type(key, "a number");
}

std::optional<bool> TableReader::get_bool(std::string const& key) {
  toml::node const* n = find(key);
  if (!n) return std::nullopt;
  if (auto v = n->value_exact<bool>()) return *v;
  wrong_type(key, "true or false");
}

std::optional<std::string> TableReader::get_string(std::string const& key) {
  toml::node const* n = find(key);
  if (!n) return std::nullopt;
  if (auto v = n->value_exact<std::string>()) return *v;
  wrong_type(key, "a string");
}

std::optional<std::vector<std::int64_t>> TableReader::get_int_list(std::string const& key) {
  toml::node const* n = find(key);
  if (!n) return std::nullopt;
  toml::array const* a = n->as_array();
  if (!a) wrong_type(key, "an array of integers");
  std::vector<std::int64_t> out;
  for (auto const& e : *a) {
    auto v = e.value_exact<std::int64_t>();
    if (!v) {
      std::ostringstream got;
      got << e.type();
      throw InputError(where(key) + " " + key + " must be an array of integers (entry " + std::to_string(out.size() + 1) +
                       " is a " + got.str() + ")");
    }
    out.push_back(*v);
  }
  return out;
}

TableReader TableReader::sub(std::string const& key) {
  toml::node const* n = find(key);
  std::string const name = _name.empty() ? key : _name + "." + key;  // root is ""
  if (!n) return TableReader(nullptr, name, _file);
  if (!n->is_table()) wrong_type(key, "a table");
  return TableReader(n->as_table(), name, _file);
}

void TableReader::finish(std::function<std::string(std::string const&)> const& hint) const {
  if (!_table) return;
  for (auto const& [k, node] : *_table) {
    std::string const key(k.str());
    if (std::find(_known.begin(), _known.end(), key) != _known.end()) continue;
    // Point at the key itself (toml++ keys carry their own position).
    std::string const key_file = k.source().path ? std::string(*k.source().path) : _file;
    std::string const pos = k.source().begin.line ? key_file + ":" + std::to_string(k.source().begin.line) + ":" +
                                                        std::to_string(k.source().begin.column)
                                                  : position_of(node, _file);
    std::string msg = pos + ": [" + (_name.empty() ? std::string("deck") : _name) + "] unknown key '" + echo(key) + "'";
    std::string const other = hint ? hint(key) : std::string();
    std::string const close = closest_match(key, _known);
    if (!other.empty()) msg += other;
    else if (!close.empty()) msg += " (did you mean '" + close + "'?)";
    else {
      std::vector<std::string> known = _known;
      std::sort(known.begin(), known.end());
      known.erase(std::unique(known.begin(), known.end()), known.end());
      std::string list;
      for (auto const& kk : known) list += (list.empty() ? "" : ", ") + echo(kk);
      msg += " (known keys: " + list + ")";
    }
    throw InputError(msg);
  }
}

}  // namespace titan
