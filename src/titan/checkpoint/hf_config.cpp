#include "titan/checkpoint/hf_config.hpp"

#include "titan/checkpoint/safetensors_codec.hpp"
#include "titan/core/errors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace titan {

using nlohmann::json;

std::string json_float(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // Python writes floats with a point
  return s;
}
std::string json_int(std::int64_t v) { return std::to_string(v); }
std::string json_text(std::string const& s) {
  std::string o;
  append_json_string(o, s);
  return o;
}
std::string json_bool(bool v) { return v ? "true" : "false"; }
std::string json_ints(std::vector<std::int64_t> const& v) {
  std::string o = "[";
  for (std::size_t i = 0; i < v.size(); ++i) o += (i ? "," : "") + std::to_string(v[i]);
  return o + "]";
}
std::string json_texts(std::vector<std::string> const& v) {
  std::string o = "[";
  for (std::size_t i = 0; i < v.size(); ++i) o += (i ? "," : "") + json_text(v[i]);
  return o + "]";
}
std::string json_object(std::vector<std::pair<std::string, std::string>> kv) {
  std::sort(kv.begin(), kv.end());  // transformers writes sorted keys
  std::string o = "{";
  for (std::size_t i = 0; i < kv.size(); ++i) o += (i ? "," : "") + json_text(kv[i].first) + ":" + kv[i].second;
  return o + "}";
}

namespace {

json parse_value(std::string const& key, std::string const& text) {
  try {
    return json::parse(text);
  } catch (json::exception const& e) {
    throw RunError("internal: config.json value of '" + key + "' is not JSON: " + text);
  }
}

// Python's json.dumps(indent=2) layout of compact JSON text at `indent`
// spaces: scalars are copied as written (a float keeps its digits).
std::string reindent(std::string const& t, int indent) {
  std::string o;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char const c = t[i];
    if (in_string) {
      o += c;
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      o += c;
    } else if (c == '{' || c == '[') {
      char const close = c == '{' ? '}' : ']';
      if (i + 1 < t.size() && t[i + 1] == close) {
        o += c;
        o += close;
        ++i;
      } else {
        indent += 2;
        o += c;
        o += "\n" + std::string(static_cast<std::size_t>(indent), ' ');
      }
    } else if (c == '}' || c == ']') {
      indent -= 2;
      o += "\n" + std::string(static_cast<std::size_t>(indent), ' ') + c;
    } else if (c == ',') {
      o += ",\n" + std::string(static_cast<std::size_t>(indent), ' ');
    } else if (c == ':') {
      o += ": ";
    } else if (c != ' ' && c != '\n') {
      o += c;
    }
  }
  return o;
}

std::string shown(json const& v) {
  if (v.is_number_float()) return json_float(v.get<double>());
  std::string s = v.dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

// Keys that say how to run or initialize a model, not what it is: never
// compared, at any depth (a bfloat16 checkpoint loads into a float32 run
// with --load-convert-dtype; HF's max_position_embeddings is a context
// length, not a size).
bool informational(std::string const& key) {
  static char const* const keys[] = {"torch_dtype",          "dtype",          "initializer_range",
                                     "use_cache",            "attention_dropout", "max_position_embeddings",
                                     "output_router_logits", "router_aux_loss_coef", "router_jitter_noise",
                                     "transformers_version", "_name_or_path"};
  for (char const* k : keys)
    if (key == k) return true;
  return false;
}

// The first field where `want` and `got` differ ("" when none), as "path".
bool same_value(json const& want, json const& got, std::string const& path, std::string& where, std::string& detail) {
  if (want.is_number() && got.is_number()) {
    if (want.get<double>() == got.get<double>()) return true;
  } else if (want.is_object() && got.is_object()) {
    for (auto it = want.begin(); it != want.end(); ++it) {
      if (informational(it.key())) continue;
      auto const g = got.find(it.key());
      if (g == got.end()) continue;  // not stated: transformers' default applies
      if (!same_value(it.value(), *g, path + "." + it.key(), where, detail)) return false;
    }
    return true;
  } else if (want.is_array() && got.is_array() && want.size() == got.size()) {
    for (std::size_t i = 0; i < want.size(); ++i)
      if (!same_value(want[i], got[i], path + "[" + std::to_string(i) + "]", where, detail)) return false;
    return true;
  } else if (want == got) {
    return true;
  }
  where = path;
  detail = "= " + shown(got) + " in the checkpoint's config.json but " + shown(want) + " in the deck's model";
  return false;
}

}  // namespace

std::string hf_config_text(HfConfig const& c) {
  std::vector<std::pair<std::string, std::string>> kv;
  for (auto const& e : c) {
    parse_value(e.key, e.value);  // an adapter's bug, caught before anything is written
    kv.emplace_back(e.key, e.value);
  }
  return reindent(json_object(kv), 0) + "\n";
}

void check_hf_config(HfConfig const& expected, std::string const& actual, std::string const& path) {
  if (!json_depth_ok(actual)) throw InputError(path + ": JSON nested deeper than " + std::to_string(max_json_depth));
  json got;
  try {
    got = json::parse(actual);
  } catch (json::exception const& e) {
    throw InputError(path + ": invalid JSON (" + std::string(e.what()) + ")");
  }
  if (!got.is_object()) throw InputError(path + ": not a JSON object");
  HfConfig sorted = expected;
  std::sort(sorted.begin(), sorted.end(), [](HfConfigEntry const& a, HfConfigEntry const& b) { return a.key < b.key; });
  for (auto const& e : sorted) {
    if (!e.checked || informational(e.key)) continue;
    auto const g = got.find(e.key);
    if (g == got.end()) continue;  // transformers' default applies; nothing stated to compare
    std::string where, detail;
    if (!same_value(parse_value(e.key, e.value), *g, e.key, where, detail))
      throw InputError(path + ": " + where + " " + detail + " (a checkpoint of another model; the first differing field)");
  }
}

}  // namespace titan
