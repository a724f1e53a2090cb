#include "titan/config/deck.hpp"

#include "titan/config/deck_source.hpp"
#include "titan/config/table_reader.hpp"
#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/init/init_range.hpp"
#include "titan/models/llama3_limits.hpp"
#include "titan/modules/feed_forward.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

namespace titan {

std::vector<std::string> family_names() { return {"llama3"}; }

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

// ---- model arguments -----------------------------------------------------

// One [model] key: its name and how to read/print it.
struct ArgField {
  std::string name;
  std::function<void(TableReader&)> read;
  std::function<void(toml::table&)> print;
};

std::int64_t positive(TableReader& t, std::string const& key, std::int64_t v) {
  require(v > 0, t.where(key) + " " + key + " = " + std::to_string(v) + " must be > 0");
  return v;
}
double positive(TableReader& t, std::string const& key, double v) {
  require(std::isfinite(v) && v > 0, t.where(key) + " " + key + " = " + std::to_string(v) + " must be > 0");
  return v;
}

std::vector<ArgField> llama3_fields(Llama3Args& a) {
  std::vector<ArgField> f;
  auto int_field = [&](char const* name, std::int64_t& v) {
    f.push_back({name, [&v, name](TableReader& t) { if (auto x = t.get_int(name)) v = positive(t, name, *x); },
                 [&v, name](toml::table& out) { out.insert(name, v); }});
  };
  auto opt_int_field = [&](char const* name, std::optional<std::int64_t>& v) {
    f.push_back({name, [&v, name](TableReader& t) { if (auto x = t.get_int(name)) v = positive(t, name, *x); },
                 [&v, name](toml::table& out) { if (v) out.insert(name, *v); }});
  };
  auto float_field = [&](char const* name, double& v) {
    f.push_back({name, [&v, name](TableReader& t) { if (auto x = t.get_double(name)) v = positive(t, name, *x); },
                 [&v, name](toml::table& out) { out.insert(name, v); }});
  };
  auto opt_float_field = [&](char const* name, std::optional<double>& v) {
    f.push_back({name, [&v, name](TableReader& t) { if (auto x = t.get_double(name)) v = positive(t, name, *x); },
                 [&v, name](toml::table& out) { if (v) out.insert(name, *v); }});
  };
  int_field("dim", a.dim);
  int_field("n_layers", a.n_layers);
  int_field("n_heads", a.n_heads);
  opt_int_field("n_kv_heads", a.n_kv_heads);
  int_field("vocab_size", a.vocab_size);
  int_field("multiple_of", a.multiple_of);
  opt_float_field("ffn_dim_multiplier", a.ffn_dim_multiplier);
  float_field("norm_eps", a.norm_eps);
  f.push_back({"rope_theta",
               [&a](TableReader& t) {
                 if (auto x = t.get_double("rope_theta")) {
                   require(std::isfinite(*x) && *x > 1.0, t.where("rope_theta") + " rope_theta = " +
                                                              std::to_string(*x) + " must be > 1");
                   a.rope_theta = *x;
                 }
               },
               [&a](toml::table& out) { out.insert("rope_theta", a.rope_theta); }});
  f.push_back({"rope_scaling",
               [&a](TableReader& t) {
                 if (auto x = t.get_string("rope_scaling")) {
                   require(*x == "llama" || *x == "none", t.where("rope_scaling") + " rope_scaling = '" + echo(*x) +
                                                              "' is not known (use 'llama' or 'none')");
                   a.rope_scaling = *x;
                 }
               },
               [&a](toml::table& out) { out.insert("rope_scaling", a.rope_scaling); }});
  float_field("rope_scaling_factor", a.rope_scaling_factor);
  float_field("rope_low_freq_factor", a.rope_low_freq_factor);
  float_field("rope_high_freq_factor", a.rope_high_freq_factor);
  int_field("rope_original_max_position_embeddings", a.rope_original_max_position_embeddings);
  int_field("max_seq_len", a.max_seq_len);
  f.push_back({"tie_embeddings",
               [&a](TableReader& t) { if (auto x = t.get_bool("tie_embeddings")) a.tie_embeddings = *x; },
               [&a](toml::table& out) { out.insert("tie_embeddings", a.tie_embeddings); }});
  return f;
}

void check_llama3_shapes(TableReader& t, Llama3Args const& a) {
  require(a.dim % a.n_heads == 0, t.where("n_heads") + " n_heads = " + std::to_string(a.n_heads) +
                                      " does not divide dim = " + std::to_string(a.dim));
  std::int64_t const kv = a.n_kv_heads.value_or(a.n_heads);
  require(a.n_heads % kv == 0, t.where("n_kv_heads") + " n_kv_heads = " + std::to_string(kv) +
                                   " does not divide n_heads = " + std::to_string(a.n_heads));
  require((a.dim / a.n_heads) % 2 == 0, t.where("n_heads") + " head_dim = dim / n_heads = " +
                                            std::to_string(a.dim / a.n_heads) + " must be even for RoPE");
}

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

Deck read_deck(std::string const& path, std::vector<std::string> const& sets) {
  return read_deck_text(read_deck_source(path), path, sets);
}

Deck read_deck_text(std::string const& text, std::string const& path, std::vector<std::string> const& sets) {
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
  if (auto family = model.get_string("family")) deck.family = *family;
  if (deck.family != "llama3") {
    std::string list;
    for (auto const& f : family_names()) list += (list.empty() ? "" : ", ") + f;
    throw InputError(model.where("family") + " unknown family '" + echo(deck.family) + "' (valid: " + list + ")");
  }
  if (auto flavor = model.get_string("flavor")) deck.flavor = *flavor;
  try {
    deck.llama3 = llama3_flavor(deck.flavor);
  } catch (InputError const& e) {
    throw InputError(model.where("flavor") + std::string(e.what()).substr(std::string("[model]").size()));
  }
  for (auto& field : llama3_fields(deck.llama3)) field.read(model);
  model.finish();
  check_llama3_shapes(model, deck.llama3);
  check_llama3_limits(deck.llama3, model.where());

  TableReader init = top.sub("init");
  TableReader sharding = top.sub("sharding");
  read_overrides(init, sharding, deck.overrides);
  for (auto const& ov : deck.overrides.init)  // finite in the storage type (run.dtype is read by now)
    check_init_range(ov.spec, deck.run.dtype, ov.where + " '" + echo(ov.pattern) + "'");
  TableReader debug = top.sub("debug");
  deck.debug = read_debug_settings(debug);
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
  Llama3Args args = deck.llama3;
  for (auto& field : llama3_fields(args)) field.print(model);

  std::ostringstream o;
  o << "# resolved deck: " << deck.path << "\n";
  o << "[run]\n" << run << "\n\n[mesh]\n" << mesh << "\n\n[model]\n" << model << "\n";
  std::int64_t const hd = args.dim / args.n_heads;
  o << "# derived: head_dim = " << hd << ", n_kv_heads = " << args.n_kv_heads.value_or(args.n_heads)
    << ", ffn_hidden_dim = " << llama_ffn_hidden_dim(args.dim, args.multiple_of, args.ffn_dim_multiplier) << "\n";
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
  if (deck.debug.any()) {
    toml::table debug;
    print_debug_settings(deck.debug, debug);
    o << "\n[debug]\n" << debug << "\n";
  }
  return o.str();
}

}  // namespace titan
