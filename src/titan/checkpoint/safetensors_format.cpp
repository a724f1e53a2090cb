#include "titan/checkpoint/safetensors_format.hpp"

#include "titan/core/errors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/stat.h>

namespace titan {

char const* safetensors_dtype(DType t) { return t == DType::float32 ? "F32" : "BF16"; }

bool parse_safetensors_dtype(std::string const& s, DType& out) {
  if (s == "F32") out = DType::float32;
  else if (s == "BF16") out = DType::bfloat16;
  else return false;
  return true;
}

std::uint64_t tensor_bytes(TensorSpec const& t) {
  std::uint64_t n = dtype_size(t.dtype);
  for (auto e : t.shape) n *= static_cast<std::uint64_t>(e);
  return n;
}

std::string shard_file_name(int index, int count) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "model-%05d-of-%05d.safetensors", index, count);
  return buf;
}

namespace {

void json_string(std::string& o, std::string const& s) {
  o += '"';
  for (char const c : s) {
    unsigned char const u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      o += buf;
    } else {
      o += c;
    }
  }
  o += '"';
}

std::string encode_header(std::vector<TensorRecord> const& tensors, Metadata const& metadata) {
  std::string o = "{\"__metadata__\":{";
  for (std::size_t i = 0; i < metadata.size(); ++i) {
    if (i) o += ',';
    json_string(o, metadata[i].first);
    o += ':';
    json_string(o, metadata[i].second);
  }
  o += '}';
  for (auto const& t : tensors) {
    o += ',';
    json_string(o, t.name);
    o += ":{\"dtype\":\"";
    o += safetensors_dtype(t.dtype);
    o += "\",\"shape\":[";
    for (std::size_t d = 0; d < t.shape.size(); ++d) o += (d ? "," : "") + std::to_string(t.shape[d]);
    o += "],\"data_offsets\":[" + std::to_string(t.begin) + "," + std::to_string(t.end) + "]}";
  }
  o += '}';
  o.append((8 - o.size() % 8) % 8, ' ');
  return o;
}

[[noreturn]] void corrupt(std::string const& file, std::string const& what) {
  throw InputError(file + ": corrupt header: " + what);
}

std::string describe_shape(std::vector<std::int64_t> const& s) {
  std::string o = "[";
  for (std::size_t i = 0; i < s.size(); ++i) o += (i ? ", " : "") + std::to_string(s[i]);
  return o + "]";
}

std::string read_whole_file(std::string const& path, std::string const& what) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw InputError(path + ": cannot open " + what + " (" + std::strerror(errno) + ")");
  std::string text;
  char buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    text.append(buf, n);
    if (text.size() > 256u * 1024 * 1024) {
      std::fclose(f);
      throw InputError(path + ": " + what + " is larger than 256 MiB");
    }
  }
  bool const failed = std::ferror(f) != 0;
  int const err = errno;
  std::fclose(f);
  if (failed) throw InputError(path + ": cannot read " + what + " (" + std::strerror(err) + ")");
  return text;
}

}  // namespace

std::string header_length_prefix(std::uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}

std::vector<FileRecord> plan_checkpoint_files(std::vector<TensorSpec> const& tensors, std::uint64_t max_file_bytes,
                                              Metadata const& metadata) {
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
    r.dtype = t.dtype;
    r.shape = t.shape;
    r.begin = used;
    r.end = used + n;
    files.back().tensors.push_back(std::move(r));
    used += n;
  }
  int const count = static_cast<int>(files.size());
  for (int i = 0; i < count; ++i) {
    files[static_cast<std::size_t>(i)].name = shard_file_name(i + 1, count);
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
    json_string(o, map[i].first);
    o += ": ";
    json_string(o, map[i].second);
  }
  o += "\n  }\n}\n";
  return o;
}

ParsedFile parse_header(std::string const& header_text, std::string const& file, std::uint64_t header_size,
                        std::uint64_t file_size) {
  using nlohmann::json;
  ParsedFile out;
  out.name = file;
  out.header_size = header_size;
  out.file_size = file_size;
  if (file_size < 8 || header_size > file_size - 8)
    corrupt(file, "header length " + std::to_string(header_size) + " is larger than the file");
  json j;
  try {
    j = json::parse(header_text);
  } catch (json::parse_error const& e) {
    corrupt(file, std::string("invalid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) corrupt(file, "the header is not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string const& name = it.key();
    json const& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) corrupt(file, "__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) corrupt(file, "__metadata__ value of '" + m.key() + "' is not a string");
        out.metadata.emplace_back(m.key(), m.value().get<std::string>());
      }
      continue;
    }
    std::string const where = "tensor '" + name + "': ";
    if (!v.is_object()) corrupt(file, where + "not an object");
    for (auto k = v.begin(); k != v.end(); ++k)
      if (k.key() != "dtype" && k.key() != "shape" && k.key() != "data_offsets")
        corrupt(file, where + "unknown field '" + k.key() + "'");
    TensorRecord t;
    t.name = name;
    auto const dt = v.find("dtype");
    if (dt == v.end() || !dt->is_string()) corrupt(file, where + "no dtype string");
    if (!parse_safetensors_dtype(dt->get<std::string>(), t.dtype))
      corrupt(file, where + "dtype " + dt->get<std::string>() + " is not supported (F32 or BF16)");
    auto const sh = v.find("shape");
    if (sh == v.end() || !sh->is_array()) corrupt(file, where + "no shape array");
    std::uint64_t numel = 1;
    for (auto const& e : *sh) {
      if (!e.is_number_unsigned() || e.get<std::uint64_t>() > (1ull << 40))
        corrupt(file, where + "shape entries must be non-negative integers");
      t.shape.push_back(static_cast<std::int64_t>(e.get<std::uint64_t>()));
      numel *= e.get<std::uint64_t>();
      if (numel > (1ull << 50)) corrupt(file, where + "shape too large");
    }
    auto const off = v.find("data_offsets");
    if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
      corrupt(file, where + "data_offsets must be two non-negative integers");
    t.begin = (*off)[0].get<std::uint64_t>();
    t.end = (*off)[1].get<std::uint64_t>();
    if (t.end < t.begin) corrupt(file, where + "data_offsets end before they begin");
    std::uint64_t const expect = numel * dtype_size(t.dtype);
    if (t.end - t.begin != expect)
      corrupt(file, where + "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) + ") hold " +
                        std::to_string(t.end - t.begin) + " bytes but shape " + describe_shape(t.shape) + " x " +
                        dt->get<std::string>() + " needs " + std::to_string(expect));
    out.tensors.push_back(std::move(t));
  }
  std::sort(out.tensors.begin(), out.tensors.end(),
            [](TensorRecord const& a, TensorRecord const& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  std::uint64_t expected_begin = 0;
  for (auto const& t : out.tensors) {
    if (t.begin < expected_begin)
      corrupt(file, "tensor '" + t.name + "': data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                        ") overlap the previous tensor");
    if (t.begin > expected_begin)
      corrupt(file, "tensor '" + t.name + "': a gap of " + std::to_string(t.begin - expected_begin) +
                        " bytes before its data");
    expected_begin = t.end;
  }
  std::uint64_t const available = file_size - out.data_start();
  if (expected_begin > available) {
    std::string last;
    for (auto const& t : out.tensors)
      if (t.end > available) {
        last = t.name;
        break;
      }
    throw InputError(file + ": truncated: tensor '" + last + "' needs bytes up to " +
                     std::to_string(out.data_start() + expected_begin) + " but the file has " +
                     std::to_string(file_size) + " bytes");
  }
  if (expected_begin < available)
    throw InputError(file + ": " + std::to_string(available - expected_begin) +
                     " bytes after the last tensor's data (not a safetensors file as written)");
  return out;
}

ParsedIndex parse_index(std::string const& text, std::string const& path) {
  using nlohmann::json;
  ParsedIndex out;
  json j;
  try {
    j = json::parse(text);
  } catch (json::parse_error const& e) {
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
  std::string const index_path = dir + "/model.safetensors.index.json";
  if (::stat(index_path.c_str(), &st) != 0)
    throw InputError(index_path + ": missing index (" + std::strerror(errno) + "); not a complete checkpoint");
  ParsedIndex const index = parse_index(read_whole_file(index_path, "the checkpoint index"), index_path);
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
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw InputError(path + ": cannot open (" + std::strerror(errno) + "), named by the index");
    struct stat fst;
    if (::fstat(fileno(f), &fst) != 0 || !S_ISREG(fst.st_mode)) {
      std::fclose(f);
      throw InputError(path + ": not a regular file");
    }
    std::uint64_t const size = static_cast<std::uint64_t>(fst.st_size);
    unsigned char len[8];
    if (size < 8 || std::fread(len, 1, 8, f) != 8) {
      std::fclose(f);
      throw InputError(path + ": truncated: shorter than the 8-byte header length");
    }
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | len[i];
    if (n > size - 8) {
      std::fclose(f);
      corrupt(path, "header length " + std::to_string(n) + " is larger than the file (" + std::to_string(size) +
                        " bytes)");
    }
    if (n > max_header_bytes) {
      std::fclose(f);
      corrupt(path, "header length " + std::to_string(n) + " exceeds the limit of " + std::to_string(max_header_bytes));
    }
    std::string text(n, '\0');
    bool const ok = n == 0 || std::fread(&text[0], 1, n, f) == n;
    std::fclose(f);
    if (!ok) throw InputError(path + ": cannot read the header");
    ParsedFile parsed = parse_header(text, path, n, size);
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
  for (auto const& [tensor, file] : index.weight_map) {
    auto const& pf = c.files[static_cast<std::size_t>(file_of_name[file])];
    std::string const& name = tensor;  // a lambda may not capture a structured binding before C++20
    bool found = std::any_of(pf.tensors.begin(), pf.tensors.end(), [&name](TensorRecord const& t) { return t.name == name; });
    if (!found)
      throw InputError(dir + "/" + file + ": tensor '" + tensor + "' is named by the index but not in the file's header");
  }
  if (index.total_size != 0 && index.total_size != total)
    throw InputError(index_path + ": metadata.total_size = " + std::to_string(index.total_size) +
                     " but the files hold " + std::to_string(total) + " bytes of tensors");
  c.metadata = c.files.front().metadata;
  return c;
}

std::vector<TensorLocation> match_checkpoint(CheckpointContents const& c, std::vector<TensorSpec> const& expected,
                                             bool convert_dtype) {
  std::map<std::string, std::pair<int, TensorRecord const*>> by_name;
  for (std::size_t f = 0; f < c.files.size(); ++f)
    for (auto const& t : c.files[f].tensors) by_name[t.name] = {static_cast<int>(f), &t};
  std::vector<TensorLocation> out;
  std::map<std::string, bool> used;
  for (auto const& e : expected) {
    auto const it = by_name.find(e.name);
    if (it == by_name.end())
      throw InputError("--load " + c.dir + ": missing tensor '" + e.name + "' (the model has it, the checkpoint's index does not)");
    ParsedFile const& pf = c.files[static_cast<std::size_t>(it->second.first)];
    TensorRecord const& t = *it->second.second;
    std::string const path = c.dir + "/" + pf.name;
    if (t.shape != e.shape)
      throw InputError(path + ": tensor '" + e.name + "' has shape " + describe_shape(t.shape) + " but the model's is " +
                       describe_shape(e.shape) + " (a checkpoint of another model size?)");
    if (t.dtype != e.dtype && !convert_dtype)
      throw InputError(path + ": tensor '" + e.name + "' is " + safetensors_dtype(t.dtype) + " but the run's dtype is " +
                       dtype_name(e.dtype) + " (--load-convert-dtype converts on load, or set run.dtype=" +
                       dtype_name(t.dtype) + ")");
    TensorLocation loc;
    loc.file = it->second.first;
    loc.offset = pf.data_start() + t.begin;
    loc.dtype = t.dtype;
    out.push_back(loc);
    used[e.name] = true;
  }
  for (auto const& [name, where] : by_name)
    if (!used.count(name))
      throw InputError(c.dir + "/" + c.files[static_cast<std::size_t>(where.first)].name + ": extra tensor '" + name +
                       "' that the model does not have (a checkpoint of another model, or other names: see "
                       "--checkpoint-names)");
  return out;
}

}  // namespace titan
