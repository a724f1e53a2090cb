#include "titan/checkpoint/safetensors_format.hpp"

#include "titan/core/errors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <sys/stat.h>

namespace titan {

std::uint64_t tensor_bytes(TensorSpec const& t) {
  std::uint64_t n = dtype_size(t.dtype);
  for (auto e : t.shape) n *= static_cast<std::uint64_t>(e);
  return n;
}

std::string shard_file_name(int index, int count, std::string const& stem) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "-%05d-of-%05d.safetensors", index, count);
  return stem + buf;
}

std::string index_file_name(std::string const& stem) { return stem + ".safetensors.index.json"; }

std::vector<FileRecord> plan_checkpoint_files(std::vector<TensorSpec> const& tensors, std::uint64_t max_file_bytes,
                                              Metadata const& metadata, std::string const& stem) {
  std::vector<FileRecord> files;
  std::uint64_t used = 0;
  for (auto const& t : tensors) {
    std::uint64_t const n = tensor_bytes(t);
    if (files.empty() || (used > 0 && used + n > max_file_bytes)) {
      files.emplace_back();
      used = 0;
    }
    TensorRecord r;
    r.name = t.name;
    r.dtype = stored_dtype_of(t.dtype);
    r.shape = t.shape;
    r.begin = used;
    r.end = used + n;
    files.back().tensors.push_back(std::move(r));
    used += n;
  }
  int const count = static_cast<int>(files.size());
  for (int i = 0; i < count; ++i) {
    files[static_cast<std::size_t>(i)].name = shard_file_name(i + 1, count, stem);
    files[static_cast<std::size_t>(i)].header = encode_header(files[static_cast<std::size_t>(i)].tensors, metadata);
  }
  return files;
}

std::string encode_index(std::vector<FileRecord> const& files) {
  std::vector<std::pair<std::string, std::string>> map;
  std::uint64_t total = 0;
  for (auto const& f : files)
    for (auto const& t : f.tensors) {
      map.emplace_back(t.name, f.name);
      total += t.nbytes();
    }
  std::sort(map.begin(), map.end());
  std::string o = "{\n  \"metadata\": {\n    \"total_size\": " + std::to_string(total) + "\n  },\n  \"weight_map\": {";
  for (std::size_t i = 0; i < map.size(); ++i) {
    o += i ? ",\n    " : "\n    ";
    append_json_string(o, map[i].first);
    o += ": ";
    append_json_string(o, map[i].second);
  }
  o += "\n  }\n}\n";
  return o;
}

ParsedIndex parse_index(std::string const& text, std::string const& path) {
  using nlohmann::json;
  ParsedIndex out;
  json j;
  if (!json_depth_ok(text)) throw InputError(path + ": JSON nested deeper than " + std::to_string(max_json_depth));
  try {
    j = json::parse(text);
  } catch (json::exception const& e) {
    throw InputError(path + ": invalid JSON (" + std::string(e.what()) + ")");
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw InputError(path + ": no \"weight_map\" object");
  if (j.contains("metadata") && j["metadata"].is_object() && j["metadata"].contains("total_size")) {
    auto const& ts = j["metadata"]["total_size"];
    if (!ts.is_number_unsigned()) throw InputError(path + ": metadata.total_size is not a non-negative integer");
    out.total_size = ts.get<std::uint64_t>();
  }
  for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
    if (!it.value().is_string()) throw InputError(path + ": weight_map entry '" + it.key() + "' is not a file name");
    std::string const f = it.value().get<std::string>();
    if (f.empty() || f.find('/') != std::string::npos || f == "." || f == "..")
      throw InputError(path + ": weight_map entry '" + it.key() + "' names '" + f +
                       "', not a file in the checkpoint directory");
    out.weight_map.emplace_back(it.key(), f);
  }
  return out;
}

CheckpointContents read_checkpoint_directory(std::string const& dir) {
  CheckpointContents c;
  c.dir = dir;
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    throw InputError("--load " + dir + ": no such checkpoint directory (" + std::strerror(errno) + ")");
  if (!S_ISDIR(st.st_mode)) throw InputError("--load " + dir + ": not a directory");
  auto exists = [](std::string const& p) {
    struct stat s;
    return ::lstat(p.c_str(), &s) == 0;
  };
  // The index: titan's and transformers' name, else diffusers'; without
  // one, a lone single-file checkpoint.
  std::string index_path = dir + "/" + index_file_name("model");
  int const missing = exists(index_path) ? 0 : errno;
  ParsedIndex index;
  if (missing) {
    std::string const diffusers = dir + "/" + index_file_name("diffusion_pytorch_model");
    if (exists(diffusers)) index_path = diffusers;
  }
  if (exists(index_path)) {
    c.index = index_path.substr(dir.size() + 1);
    index = parse_index(read_small_file(index_path, "the checkpoint index", max_index_bytes), index_path);
  } else {
    for (std::string const single : {"model.safetensors", "diffusion_pytorch_model.safetensors"})
      if (exists(dir + "/" + single)) {
        ParsedFile const f = read_file_header(dir + "/" + single);
        for (auto const& t : f.tensors) index.weight_map.emplace_back(t.name, single);
        if (f.tensors.empty()) throw InputError(dir + "/" + single + ": holds no tensor");
        break;
      }
    if (index.weight_map.empty())
      throw InputError(index_path + ": missing index (" + std::strerror(missing) + "); not a complete checkpoint");
  }
  if (index.weight_map.empty()) throw InputError(index_path + ": the weight_map is empty");

  std::map<std::string, int> file_of_name;
  std::map<std::string, std::string> expected_file;  // tensor -> file per index
  for (auto const& [tensor, file] : index.weight_map) {
    expected_file[tensor] = file;
    if (!file_of_name.count(file)) {
      file_of_name[file] = static_cast<int>(c.files.size());
      c.files.emplace_back();
      c.files.back().name = file;
    }
  }
  std::uint64_t total = 0;
  for (auto& pf : c.files) {
    std::string const path = dir + "/" + pf.name;
    ParsedFile parsed = read_file_header(path);
    parsed.name = pf.name;
    pf = std::move(parsed);
    for (auto const& t : pf.tensors) {
      auto const e = expected_file.find(t.name);
      if (e == expected_file.end())
        throw InputError(path + ": tensor '" + t.name + "' is not in the index (" + index_path + ")");
      if (e->second != pf.name)
        throw InputError(path + ": tensor '" + t.name + "' is here but the index puts it in " + e->second);
      total += t.nbytes();
    }
  }
  std::set<std::pair<std::string, std::string>> present;  // (file, tensor) of every header
  for (auto const& pf : c.files)
    for (auto const& t : pf.tensors) present.emplace(pf.name, t.name);
  for (auto const& [tensor, file] : index.weight_map) {
    if (!present.count({file, tensor}))
      throw InputError(dir + "/" + file + ": tensor '" + tensor + "' is named by the index but not in the file's header");
  }
  if (index.total_size != 0 && index.total_size != total)
    throw InputError(index_path + ": metadata.total_size = " + std::to_string(index.total_size) +
                     " but the files hold " + std::to_string(total) + " bytes of tensors");
  c.metadata = c.files.front().metadata;
  return c;
}

}  // namespace titan
