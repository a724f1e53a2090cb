// config.json of a Hugging Face checkpoint: written as transformers writes
// it (keys sorted, indent 2), and checked against a checkpoint's own on
// --load (the first differing field named). Host-only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

//! One top-level key of config.json: its value as compact JSON text (from
//! the json_* helpers: numbers keep their digits, objects their sorted
//! keys), and whether --load
//! compares it with the checkpoint's (sizes, RoPE, MoE routing, tying: what
//! makes the model; not dtype, cache or init hints).
struct HfConfigEntry {
  std::string key;
  std::string value;
  bool checked = true;
};
using HfConfig = std::vector<HfConfigEntry>;

//! JSON value texts. Floats print as "%.17g" with a ".0" when they would
//! look like integers (transformers writes Python floats).
std::string json_float(double v);
std::string json_int(std::int64_t v);
std::string json_text(std::string const& s);  // a JSON string literal
std::string json_bool(bool v);
std::string json_ints(std::vector<std::int64_t> const& v);
std::string json_texts(std::vector<std::string> const& v);
//! A JSON object of (key, value text) pairs, keys sorted.
std::string json_object(std::vector<std::pair<std::string, std::string>> kv);

//! config.json's text: the entries' keys sorted, indent 2, a final newline
//! (transformers' to_json_string with sort_keys).
std::string hf_config_text(HfConfig const& c);

//! Compares the checked entries of `expected` (the deck's model) with the
//! config.json text `actual` read from `path`, in key order; for objects the
//! keys `expected` states, recursively; numbers by value (2 equals 2.0). A
//! key the checkpoint's config leaves out is not compared (transformers
//! supplies a default), nor are keys that only say how to run (torch_dtype,
//! use_cache, initializer_range, max_position_embeddings, ...). Throws
//! InputError naming the first differing field.
void check_hf_config(HfConfig const& expected, std::string const& actual, std::string const& path);

}  // namespace titan
