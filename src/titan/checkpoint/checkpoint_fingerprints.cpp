#include "titan/checkpoint/checkpoint_fingerprints.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace titan {
namespace {

std::string hex(std::uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%016" PRIx64, v);
  return b;
}

// "0x" and 16 hex digits, as titan_app writes them.
std::optional<std::uint64_t> parse_hex(std::string const& s) {
  if (s.size() != 18 || s[0] != '0' || s[1] != 'x') return std::nullopt;
  for (std::size_t i = 2; i < s.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  return std::strtoull(s.c_str() + 2, nullptr, 16);
}

}  // namespace

std::string add_fingerprints_to_index(std::string const& index_json, std::uint64_t model_fingerprint,
                                      TensorFingerprints const& tensors) {
  using json = nlohmann::ordered_json;  // keeps total_size first, weight_map as written
  json j = json::parse(index_json);
  json& meta = j["metadata"];
  meta["program"] = "titan_app";
  meta["fingerprint"] = hex(model_fingerprint);
  TensorFingerprints sorted = tensors;
  std::sort(sorted.begin(), sorted.end());
  json fps = json::object();
  for (auto const& [name, fp] : sorted) fps[name] = hex(fp);
  meta["tensor_fingerprints"] = std::move(fps);
  return j.dump(2) + "\n";
}

SavedFingerprints saved_fingerprints(std::string const& header_fingerprint, std::string const& index_json) {
  SavedFingerprints s;
  s.model = parse_hex(header_fingerprint);
  nlohmann::json const j = nlohmann::json::parse(index_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return s;
  auto const meta = j.find("metadata");
  if (meta == j.end() || !meta->is_object()) return s;
  auto const fps = meta->find("tensor_fingerprints");
  if (fps == meta->end() || !fps->is_object()) return s;
  for (auto it = fps->begin(); it != fps->end(); ++it)
    if (it.value().is_string())
      if (auto v = parse_hex(it.value().get<std::string>())) s.tensors[it.key()] = *v;
  return s;
}

void check_loaded_fingerprints(SavedFingerprints const& saved, std::uint64_t loaded_model,
                               TensorFingerprints const& loaded, std::string const& dir) {
  std::string const where = "--load " + echo(dir, 200);
  for (auto const& [name, fp] : loaded) {
    auto const it = saved.tensors.find(name);
    if (it != saved.tensors.end() && it->second != fp)
      throw InputError(where + ": tensor '" + echo(name, 200) + "' loaded with fingerprint " + hex(fp) +
                       " but was saved with " + hex(it->second) +
                       " (the file's bytes changed since it was written, or the index points at other data)");
  }
  if (saved.model && *saved.model != loaded_model)
    throw InputError(where + ": the loaded model's fingerprint is " + hex(loaded_model) + " but the checkpoint says " +
                     hex(*saved.model) + " (its data changed since it was written" +
                     (saved.tensors.empty() ? std::string("; it lists no per-tensor fingerprints to say which tensor")
                                            : std::string()) +
                     ")");
}

}  // namespace titan
