#include "titan/config/deck.hpp"

#include "titan/config/debug_settings_reader.hpp"
#include "titan/config/deck_source.hpp"
#include "titan/config/mpi_deck.hpp"
#include "titan/forward/forward_deck.hpp"
#include "titan/train/train_deck.hpp"

#include "titan/config/table_reader.hpp"
#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/init/init_range.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

namespace titan {

namespace {

// ---- --set merging -------------------------------------------------------

// Copies every leaf of `src` into `dst`, creating tables on the way.
void merge_into(toml::table& dst, toml::table const& src) {
  for (auto const& [k, node] : src) {
    if (node.is_table() && dst.get(k) && dst.get(k)->is_table()) {
      merge_into(*dst.get(k)->as_table(), *node.as_table());
    } else {
      dst.insert_or_assign(k, node);
    }
  }
}

toml::table parse_set(std::string const& assignment) {
  require(assignment.find_first_of(std::string("\n\r\0", 3)) == std::string::npos,
          "--set " + echo(assignment) + ": a --set may not contain a line break or NUL (one key = one value)");
  auto const eq = assignment.find('=');
  require(eq != std::string::npos && eq > 0,
          "--set " + echo(assignment) + ": expected key=value (e.g. --set run.dtype=bfloat16)");
  std::string const key = assignment.substr(0, eq);
  std::string const value = assignment.substr(eq + 1);
  try {
    std::string const doc = key + " = " + value;
    return toml::parse(std::string_view(doc), std::string_view("--set"));
  } catch (toml::parse_error const&) {
  }
  try {  // a bare word: take it as a string
    std::string const doc = key + " = \"" + value + "\"";
    return toml::parse(std::string_view(doc), std::string_view("--set"));
  } catch (toml::parse_error const& e) {
    throw InputError("--set " + echo(assignment) + ": " + echo_text(e.description()));
  }
}

// toml++'s description of a parse error, echoed safely. Its text for a key
// defined twice garbles the key ("cannot redefine existing integer
// '"seseed" '"), so that one is rewritten with the key as written on the line.
std::string toml_error_text(std::string_view description, std::string const& text, std::size_t line) {
  std::string const redefine = "cannot redefine existing ";
  auto const at = description.find(redefine);
  if (at == std::string_view::npos || line == 0) return echo_text(description);
  std::size_t begin = 0;
  for (std::size_t l = 1; l < line && begin != std::string::npos; ++l) {
    begin = text.find('\n', begin);
    if (begin != std::string::npos) ++begin;
  }
  if (begin == std::string::npos) return echo_text(description);
  std::string key = text.substr(begin, text.find_first_of("=\n", begin) - begin);
  while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.erase(0, 1);
  std::string_view rest = description.substr(at + redefine.size());
  std::string const what(rest.substr(0, rest.find(' ')));
  std::string const article = !what.empty() && std::string("aeiou").find(what[0]) != std::string::npos ? "an " : "a ";
  return echo_text(key, echo_max_chars) + " is defined twice (it already holds " +
         (what.empty() ? std::string("a value") : article + echo(what)) + ")";
}

// ---- model arguments (the family's KeyTable) ------------------------------

std::string choice_list(std::vector<std::string> const& choices) {
  std::string list;
  for (std::size_t i = 0; i < choices.size(); ++i)
    list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + ("'" + choices[i] + "'");
  return list;
}

std::string list_text(std::vector<std::int64_t> const& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::int64_t checked_integer(TableReader& t, KeySpec const& k, std::int64_t v) {
  auto const lower = static_cast<std::int64_t>(k.lower);
  require(v >= lower, t.where(k.name) + " " + k.name + " = " + std::to_string(v) + " must be " +
                          (lower == 1 ? std::string("> 0") : ">= " + std::to_string(lower)));
  return v;
}

double checked_number(TableReader& t, KeySpec const& k, double v) {
  require(std::isfinite(v) && v > k.lower, t.where(k.name) + " " + k.name + " = " + number_text(v) + " must be " +
                                               (std::isfinite(v) ? "" : "a finite number ") + "> " + number_text(k.lower));
  return v;
}

void read_key(TableReader& t, KeySpec const& k) {
  using Kind = KeySpec::Kind;
  switch (k.kind) {
    case Kind::integer:
      if (auto x = t.get_int(k.name)) *static_cast<std::int64_t*>(k.target) = checked_integer(t, k, *x);
      break;
    case Kind::optional_integer:
      if (auto x = t.get_int(k.name)) *static_cast<std::optional<std::int64_t>*>(k.target) = checked_integer(t, k, *x);
      break;
    case Kind::number:
      if (auto x = t.get_double(k.name)) *static_cast<double*>(k.target) = checked_number(t, k, *x);
      break;
    case Kind::optional_number:
      if (auto x = t.get_double(k.name)) *static_cast<std::optional<double>*>(k.target) = checked_number(t, k, *x);
      break;
    case Kind::text:
      if (auto x = t.get_string(k.name)) {
        bool const ok = k.choices.empty() || std::find(k.choices.begin(), k.choices.end(), *x) != k.choices.end();
        require(ok, t.where(k.name) + " " + k.name + " = '" + echo(*x) + "' is not known (use " + choice_list(k.choices) + ")");
        *static_cast<std::string*>(k.target) = *x;
      }
      break;
    case Kind::boolean:
      if (auto x = t.get_bool(k.name)) *static_cast<bool*>(k.target) = *x;
      break;
    case Kind::integer_list:
      if (auto x = t.get_int_list(k.name)) {
        require(!x->empty() && x->size() <= k.max_entries, t.where(k.name) + " " + k.name + " must have 1 to " +
                                                                std::to_string(k.max_entries) + " entries (got " +
                                                                std::to_string(x->size()) + ")");
        auto const lower = static_cast<std::int64_t>(k.lower);
        for (std::int64_t v : *x)
          require(v >= lower, t.where(k.name) + " " + k.name + " = " + list_text(*x) + ": every entry must be " +
                                  (lower == 1 ? std::string("> 0") : ">= " + std::to_string(lower)));
        *static_cast<std::vector<std::int64_t>*>(k.target) = *x;
      }
      break;
  }
}

void print_key(toml::table& out, KeySpec const& k) {
  using Kind = KeySpec::Kind;
  switch (k.kind) {
    case Kind::integer: out.insert(k.name, *static_cast<std::int64_t const*>(k.target)); break;
    case Kind::optional_integer:
      if (auto const& v = *static_cast<std::optional<std::int64_t> const*>(k.target)) out.insert(k.name, *v);
      break;
    case Kind::number: out.insert(k.name, *static_cast<double const*>(k.target)); break;
    case Kind::optional_number:
      if (auto const& v = *static_cast<std::optional<double> const*>(k.target)) out.insert(k.name, *v);
      break;
    case Kind::text: out.insert(k.name, *static_cast<std::string const*>(k.target)); break;
    case Kind::boolean: out.insert(k.name, *static_cast<bool const*>(k.target)); break;
    case Kind::integer_list: {
      toml::array a;
      for (std::int64_t v : *static_cast<std::vector<std::int64_t> const*>(k.target)) a.push_back(v);
      out.insert(k.name, std::move(a));
      break;
    }
  }
}

std::string joined_names(std::vector<std::string> const& names) {
  std::string list;
  for (auto const& n : names) list += (list.empty() ? "" : ", ") + n;
  return list;
}

// "; it is a key of family X" for a [model] key that another family declares
// (a deck written for one family, pointed at another).
std::string other_family_hint(std::string const& key, std::vector<DeckFamily> const& families,
                              std::string const& family) {
  std::vector<std::string> owners;
  for (auto const& f : families) {
    if (f.name == family) continue;
    auto args = f.preset(f.flavors.front());
    KeyTable keys;
    args->declare(keys);
    auto const names = keys.names();
    if (std::find(names.begin(), names.end(), key) != names.end()) owners.push_back(f.name);
  }
  if (owners.empty()) return "";
  return " (it is a key of family " + joined_names(owners) + ", not of " + family + ")";
}

std::shared_ptr<ModelArgs const> read_model(TableReader& model, Deck& deck, std::vector<DeckFamily> const& families) {
  require(!families.empty(), "no model families are registered");
  deck.family = families.front().name;
  if (auto family = model.get_string("family")) deck.family = *family;
  auto const fam = std::find_if(families.begin(), families.end(), [&](DeckFamily const& f) { return f.name == deck.family; });
  if (fam == families.end()) {
    std::vector<std::string> names;
    for (auto const& f : families) names.push_back(f.name);
    throw InputError(model.where("family") + " unknown family '" + echo(deck.family) + "' (valid: " + joined_names(names) + ")");
  }
  deck.flavor = fam->flavors.front();
  if (auto flavor = model.get_string("flavor")) deck.flavor = *flavor;
  require(std::find(fam->flavors.begin(), fam->flavors.end(), deck.flavor) != fam->flavors.end(),
          model.where("flavor") + " unknown " + deck.family + " flavor '" + echo(deck.flavor) + "' (valid: " +
              joined_names(fam->flavors) + ")");
  std::unique_ptr<ModelArgs> args = fam->preset(deck.flavor);
  KeyTable keys;
  args->declare(keys);
  for (auto const& k : keys.keys()) read_key(model, k);
  model.finish([&](std::string const& key) { return other_family_hint(key, families, deck.family); });
  args->validate([&model](std::string const& key) { return model.where(key); });
  return std::shared_ptr<ModelArgs const>(std::move(args));
}

}  // namespace

namespace {

// ---- init and sharding overrides -----------------------------------------

InitSpec read_init_spec(toml::node const& node, std::string const& pattern, std::string const& where,
                        std::string const& file) {
  std::string kind_name;
  toml::table const* fields = nullptr;
  if (auto s = node.value_exact<std::string>()) {
    kind_name = *s;
  } else if (node.is_table()) {
    fields = node.as_table();
    auto k = fields->get("kind");
    require(k && k->value_exact<std::string>(), where + " '" + pattern + "' needs kind = \"" + init_kind_names() + "\"");
    kind_name = *k->value_exact<std::string>();
  } else {
    throw InputError(where + " '" + pattern + "' must be a kind name or a table like { kind = \"normal\", std = 0.02 }");
  }
  InitKind kind;
  require(parse_init_kind(kind_name, kind),
          where + " '" + pattern + "': unknown init kind '" + echo(kind_name) + "' (valid: " + init_kind_names() + ")");
  InitSpec spec;
  spec.kind = kind;
  if (kind == InitKind::uniform) {
    spec.a = 0.0;  // torch.nn.init.uniform_ defaults
    spec.b = 1.0;
  }
  if (fields) {
    TableReader r(fields, "init.overrides.\"" + pattern + "\"", file);
    r.know("kind");
    switch (kind) {
      case InitKind::normal:
        spec.mean = r.get_double("mean").value_or(spec.mean);
        spec.std = r.get_double("std").value_or(spec.std);
        break;
      case InitKind::trunc_normal:
        spec.mean = r.get_double("mean").value_or(spec.mean);
        spec.std = r.get_double("std").value_or(spec.std);
        spec.a = r.get_double("a").value_or(spec.a);
        spec.b = r.get_double("b").value_or(spec.b);
        break;
      case InitKind::uniform:
        spec.a = r.get_double("a").value_or(spec.a);
        spec.b = r.get_double("b").value_or(spec.b);
        break;
      case InitKind::constant: {
        auto v = r.get_double("value");
        require(v.has_value(), where + " '" + pattern + "': constant needs value = <number>");
        spec.value = *v;
        break;
      }
      default: break;
    }
    r.finish();
  } else {
    require(kind != InitKind::constant, where + " '" + pattern + "': constant needs { kind = \"constant\", value = <number> }");
  }
  spec.validate(where + " '" + pattern + "'");
  return spec;
}

void read_overrides(TableReader& init, TableReader& sharding, ParamOverrides& out) {
  TableReader init_over = init.sub("overrides");
  if (init_over.table()) {
    for (auto const& [k, node] : *init_over.table()) {
      std::string const pattern(k.str());
      init_over.know(pattern);
      std::string const where = position_of(node, init_over.file()) + ": [init.overrides]";
      out.init.push_back({pattern, read_init_spec(node, echo(pattern), where, init_over.file()), where, 0});
    }
  }
  init_over.finish();
  init.finish();

  TableReader shard_over = sharding.sub("overrides");
  if (shard_over.table()) {
    for (auto const& [k, node] : *shard_over.table()) {
      std::string const pattern(k.str());
      shard_over.know(pattern);
      std::string const where = position_of(node, shard_over.file()) + ": [sharding.overrides]";
      require(node.is_table(), where + " '" + echo(pattern) + "' must be a table like { tp = \"Shard(1)\" }");
      TableReader r(node.as_table(), "sharding.overrides.\"" + echo(pattern) + "\"", shard_over.file());
      ShardingOverride o{pattern, {}, where, 0};
      for (int m = 0; m < num_mesh_dims; ++m) {
        if (auto text = r.get_string(mesh_dim_name(m))) {
          Placement p;
          require(parse_placement(*text, p), r.where(mesh_dim_name(m)) + " " + mesh_dim_name(m) + " = '" + echo(*text) +
                                                 "' is not a placement (use \"Shard(<dim>)\" or \"Replicate\")");
          o.placements[m] = p;
        }
      }
      r.finish();
      out.sharding.push_back(std::move(o));
    }
  }
  shard_over.finish();
  sharding.finish();
}

}  // namespace

namespace {

// [checkpoint]: directories, names, sizes (docs/checkpoint.md).
void read_checkpoint_settings(TableReader& t, CheckpointSettings& c) {
  if (auto v = t.get_string("save")) {
    require(!v->empty(), t.where("save") + " save must name a directory");
    c.save = *v;
  }
  if (auto v = t.get_string("load")) {
    require(!v->empty(), t.where("load") + " load must name a directory");
    c.load = *v;
  }
  for (char const* key : {"names", "load_names", "save_names"})
    if (auto v = t.get_string(key)) {
      require(*v == "titan" || *v == "hf",
              t.where(key) + " " + key + " = '" + echo(*v) + "' is not known (use 'titan' or 'hf')");
      (std::string(key) == "names" ? c.names : std::string(key) == "load_names" ? c.load_names : c.save_names) = *v;
    }
  if (auto v = t.get_int("max_file_bytes")) {
    require(*v > 0, t.where("max_file_bytes") + " max_file_bytes = " + std::to_string(*v) + " must be > 0");
    c.max_file_bytes = *v;
  }
  if (auto v = t.get_int("buffer_bytes")) {
    require(*v >= 4096 && *v <= (std::int64_t(1) << 34),
            t.where("buffer_bytes") + " buffer_bytes = " + std::to_string(*v) + " must be between 4096 and 2^34");
    c.buffer_bytes = *v;
  }
  if (auto v = t.get_int("write_speed_sample_bytes")) {
    require(*v >= 0, t.where("write_speed_sample_bytes") + " write_speed_sample_bytes = " + std::to_string(*v) +
                         " must be >= 0 (0 = no measurement)");
    c.write_speed_sample_bytes = *v;
  }
  t.finish();
}

}  // namespace

Deck read_deck(std::string const& path, std::vector<std::string> const& sets, std::vector<DeckFamily> const& families) {
  return read_deck_text(read_deck_source(path), path, sets, families);
}

Deck read_deck_text(std::string const& text, std::string const& path, std::vector<std::string> const& sets,
                    std::vector<DeckFamily> const& families) {
  Deck deck;
  deck.path = path;
  toml::table root;
  try {
    root = toml::parse(std::string_view(text), std::string_view(path));
  } catch (toml::parse_error const& e) {
    auto const& b = e.source().begin;
    throw InputError(echo(path, 200) + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                     ": malformed TOML: " + toml_error_text(e.description(), text, b.line));
  }
  for (auto const& s : sets) merge_into(root, parse_set(s));

  TableReader top(&root, "", path);

  TableReader run = top.sub("run");
  if (auto seed = run.get_int("seed")) {
    require(*seed >= 0, run.where("seed") + " seed = " + std::to_string(*seed) + " must be >= 0");
    deck.run.seed = static_cast<std::uint64_t>(*seed);
  }
  if (auto dtype = run.get_string("dtype")) {
    if (*dtype == "float32") deck.run.dtype = DType::float32;
    else if (*dtype == "bfloat16") deck.run.dtype = DType::bfloat16;
    else throw InputError(run.where("dtype") + " dtype = '" + echo(*dtype) + "' is not supported (use float32 or bfloat16)");
  }
  if (auto repeat = run.get_int("repeat")) {
    require(*repeat >= 1 && *repeat <= 1000, run.where("repeat") + " repeat = " + std::to_string(*repeat) +
                                                  " must be between 1 and 1000");
    deck.run.repeat = static_cast<int>(*repeat);
  }
  if (auto verify = run.get_bool("verify_layout")) deck.run.verify_layout = *verify;
  run.finish();

  TableReader mesh = top.sub("mesh");
  for (int m = 0; m < num_mesh_dims; ++m) {
    if (auto s = mesh.get_int(mesh_dim_name(m))) {
      require(*s == -1 || *s >= 1, mesh.where(mesh_dim_name(m)) + " " + mesh_dim_name(m) + " = " +
                                        std::to_string(*s) + " is not a valid size (positive, or -1 for the remaining ranks)");
      require(*s <= 1 << 24, mesh.where(mesh_dim_name(m)) + " " + mesh_dim_name(m) + " is too large");
      deck.mesh.sizes[m] = static_cast<int>(*s);
    }
  }
  mesh.finish();

  TableReader model = top.sub("model");
  deck.model = read_model(model, deck, families);

  TableReader init = top.sub("init");
  TableReader sharding = top.sub("sharding");
  read_overrides(init, sharding, deck.overrides);
  TableReader forward = top.sub("forward");
  read_forward_settings(forward, deck.forward);
  TableReader train = top.sub("train");
  read_train_settings(train, deck.train);
  for (auto const& ov : deck.overrides.init)  // finite in the storage type (run.dtype is read by now)
    check_init_range(ov.spec, deck.run.dtype, ov.where + " '" + echo(ov.pattern) + "'");
  TableReader debug = top.sub("debug");
  deck.debug = read_debug_settings(debug);
  TableReader checkpoint = top.sub("checkpoint");
  read_checkpoint_settings(checkpoint, deck.checkpoint);
  TableReader mpi = top.sub("mpi");
  read_mpi_settings(mpi, deck.mpi);
  top.finish();
  return deck;
}

namespace {

// A TOML basic string holding `key` exactly: quotes, backslashes and control
// characters escaped (a pattern may contain any of them).
std::string quoted_key(std::string const& key) {
  std::string q = "\"";
  for (char const c : key) {
    unsigned char const u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      q += '\\';
      q += c;
    } else if (u < 0x20 || u == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\u%04x", u);
      q += hex;
    } else {
      q += c;
    }
  }
  return q + "\"";
}

}  // namespace

std::string resolved_deck_toml(Deck const& deck) {
  toml::table run{{"seed", static_cast<std::int64_t>(deck.run.seed)},
                  {"dtype", dtype_name(deck.run.dtype)},
                  {"repeat", deck.run.repeat},
                  {"verify_layout", deck.run.verify_layout}};
  toml::table mesh;
  for (int m = 0; m < num_mesh_dims; ++m) mesh.insert(mesh_dim_name(m), deck.mesh.sizes[m]);
  toml::table model{{"family", deck.family}, {"flavor", deck.flavor}};
  std::unique_ptr<ModelArgs> const args = deck.model->clone();  // declare() binds to a mutable object
  KeyTable keys;
  args->declare(keys);
  for (auto const& k : keys.keys()) print_key(model, k);

  std::ostringstream o;
  o << "# resolved deck: " << deck.path << "\n";
  o << "[run]\n" << run << "\n\n[mesh]\n" << mesh << "\n\n[model]\n" << model << "\n";
  std::string derived;
  for (auto const& [name, value] : deck.model->derived()) derived += (derived.empty() ? "" : ", ") + name + " = " + value;
  if (!derived.empty()) o << "# derived: " << derived << "\n";
  if (!deck.overrides.init.empty()) {
    o << "\n[init.overrides]\n";
    for (auto const& ov : deck.overrides.init) {
      toml::table spec{{"kind", init_kind_name(ov.spec.kind)}};
      switch (ov.spec.kind) {
        case InitKind::normal: spec.insert("mean", ov.spec.mean); spec.insert("std", ov.spec.std); break;
        case InitKind::trunc_normal:
          spec.insert("mean", ov.spec.mean);
          spec.insert("std", ov.spec.std);
          spec.insert("a", ov.spec.a);
          spec.insert("b", ov.spec.b);
          break;
        case InitKind::uniform: spec.insert("a", ov.spec.a); spec.insert("b", ov.spec.b); break;
        case InitKind::constant: spec.insert("value", ov.spec.value); break;
        default: break;
      }
      spec.is_inline(true);
      o << quoted_key(ov.pattern) << " = " << spec << "\n";
    }
  }
  if (!deck.overrides.sharding.empty()) {
    o << "\n[sharding.overrides]\n";
    for (auto const& ov : deck.overrides.sharding) {
      toml::table p;
      for (int m = 0; m < num_mesh_dims; ++m)
        if (ov.placements[m]) p.insert(mesh_dim_name(m), ov.placements[m]->describe());
      p.is_inline(true);
      o << quoted_key(ov.pattern) << " = " << p << "\n";
    }
  }
  if (deck.forward.enabled || deck.forward.batch != ForwardSettings{}.batch ||
      deck.forward.seq_len != ForwardSettings{}.seq_len || deck.forward.tokens_seed != 0 || !deck.forward.tokens_file.empty())
    o << "\n[forward]\n" << forward_settings_table(deck.forward) << "\n";
  if (deck.train.enabled) o << "\n[train]\n" << train_settings_table(deck.train) << "\n";
  if (deck.checkpoint.any()) {
    CheckpointSettings const& c = deck.checkpoint;
    toml::table t;
    if (!c.save.empty()) t.insert("save", c.save);
    if (!c.load.empty()) t.insert("load", c.load);
    t.insert("names", c.names);
    if (!c.load_names.empty()) t.insert("load_names", c.load_names);
    if (!c.save_names.empty()) t.insert("save_names", c.save_names);
    t.insert("max_file_bytes", c.max_file_bytes);
    t.insert("buffer_bytes", c.buffer_bytes);
    t.insert("write_speed_sample_bytes", c.write_speed_sample_bytes);
    o << "\n[checkpoint]\n" << t << "\n";
  }
  o << "\n[mpi]\n" << mpi_settings_table(deck.mpi) << "\n";
  if (deck.debug.any()) {
    toml::table debug;
    print_debug_settings(deck.debug, debug);
    o << "\n[debug]\n" << debug << "\n";
  }
  return o.str();
}

}  // namespace titan
