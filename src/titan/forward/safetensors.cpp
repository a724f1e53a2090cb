#include "titan/forward/safetensors.hpp"

#include "titan/core/errors.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <unistd.h>

namespace titan {

namespace {

std::int64_t dtype_bytes(std::string const& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL") return 1;
  return 0;
}

std::string json_escape(std::string const& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o;
}

void put_u64_le(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// A small JSON reader, enough for a safetensors header: objects, arrays,
// strings (simple escapes), numbers, true/false/null.
struct Json {
  enum Kind { null, boolean, number, string, array, object } kind = null;
  double num = 0;
  std::int64_t integer = 0;
  bool is_integer = false;
  std::string str;
  std::vector<Json> items;
  std::map<std::string, Json> fields;
};

struct JsonParser {
  std::string const& s;
  std::size_t i = 0;
  std::string where;
  [[noreturn]] void fail(std::string const& what) {
    throw InputError(where + ": malformed safetensors header (" + what + " at byte " + std::to_string(i) + ")");
  }
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
  }
  Json parse(int depth = 0) {
    if (depth > 16) fail("nesting too deep");
    ws();
    if (i >= s.size()) fail("unexpected end");
    Json j;
    char const c = s[i];
    if (c == '{') {
      j.kind = Json::object;
      ++i;
      ws();
      if (i < s.size() && s[i] == '}') { ++i; return j; }
      while (true) {
        ws();
        if (i >= s.size() || s[i] != '"') fail("expected a key");
        std::string const key = parse(depth + 1).str;
        ws();
        if (i >= s.size() || s[i] != ':') fail("expected ':'");
        ++i;
        j.fields[key] = parse(depth + 1);
        ws();
        if (i < s.size() && s[i] == ',') { ++i; continue; }
        if (i < s.size() && s[i] == '}') { ++i; return j; }
        fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      j.kind = Json::array;
      ++i;
      ws();
      if (i < s.size() && s[i] == ']') { ++i; return j; }
      while (true) {
        j.items.push_back(parse(depth + 1));
        ws();
        if (i < s.size() && s[i] == ',') { ++i; continue; }
        if (i < s.size() && s[i] == ']') { ++i; return j; }
        fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      j.kind = Json::string;
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\') {
          ++i;
          if (i >= s.size()) fail("bad escape");
        }
        j.str += s[i++];
      }
      if (i >= s.size()) fail("unterminated string");
      ++i;
      return j;
    }
    if (s.compare(i, 4, "true") == 0) { i += 4; j.kind = Json::boolean; j.num = 1; return j; }
    if (s.compare(i, 5, "false") == 0) { i += 5; j.kind = Json::boolean; return j; }
    if (s.compare(i, 4, "null") == 0) { i += 4; return j; }
    std::size_t const b = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '-' || s[i] == '+' || s[i] == '.' ||
                            s[i] == 'e' || s[i] == 'E'))
      ++i;
    if (b == i) fail("unexpected character");
    std::string const t = s.substr(b, i - b);
    j.kind = Json::number;
    try {
      j.num = std::stod(t);
      if (t.find_first_of(".eE") == std::string::npos) {
        j.integer = std::stoll(t);
        j.is_integer = true;
      }
    } catch (std::exception const&) {
      fail("bad number");
    }
    return j;
  }
};

}  // namespace

namespace {

// The 8-byte length and the JSON header (padded to 8 bytes) of `tensors`.
std::string header_prefix(std::vector<SafeTensor> const& tensors) {
  std::string header = "{";
  std::int64_t offset = 0;
  for (std::size_t k = 0; k < tensors.size(); ++k) {
    SafeTensor const& t = tensors[k];
    header += (k ? "," : "") + std::string("\"") + json_escape(t.name) + "\":{\"dtype\":\"" + t.dtype + "\",\"shape\":[";
    for (std::size_t d = 0; d < t.shape.size(); ++d) header += (d ? "," : "") + std::to_string(t.shape[d]);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + t.bytes) + "]}";
    offset += t.bytes;
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';
  std::string prefix;
  put_u64_le(prefix, header.size());
  return prefix + header;
}

}  // namespace

std::string safetensors_bytes(std::vector<SafeTensor> const& tensors) {
  std::string out = header_prefix(tensors);
  for (auto const& t : tensors) out.append(static_cast<char const*>(t.data), static_cast<std::size_t>(t.bytes));
  return out;
}

void write_safetensors(std::string const& path, std::vector<SafeTensor> const& tensors) {
  std::string const tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw RunError(path + ": cannot write there (" + std::strerror(errno) + ")");
  // The header, then each tensor straight from its buffer (no second copy of the data).
  std::string const prefix = header_prefix(tensors);
  bool ok = std::fwrite(prefix.data(), 1, prefix.size(), f) == prefix.size();
  for (auto const& t : tensors)
    if (ok && t.bytes > 0) ok = std::fwrite(t.data, 1, static_cast<std::size_t>(t.bytes), f) == static_cast<std::size_t>(t.bytes);
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int const e = errno;
    std::remove(tmp.c_str());
    throw RunError(path + ": write failed (" + std::strerror(e) + ")");
  }
}

LoadedTensor read_safetensor(std::string const& path, std::string const& name, std::string const& where) {
  std::string const at = where + " " + path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(at + ": cannot open (" + std::strerror(errno) + ")");
  unsigned char len_bytes[8];
  if (!in.read(reinterpret_cast<char*>(len_bytes), 8)) throw InputError(at + ": not a safetensors file (shorter than 8 bytes)");
  std::uint64_t n = 0;
  for (int k = 7; k >= 0; --k) n = (n << 8) | len_bytes[k];
  in.seekg(0, std::ios::end);
  std::uint64_t const file_size = static_cast<std::uint64_t>(in.tellg());
  if (n == 0 || n > (100u << 20) || 8 + n > file_size)
    throw InputError(at + ": not a safetensors file (header length " + std::to_string(n) + " does not fit the file)");
  in.seekg(8);
  std::string header(n, '\0');
  in.read(header.data(), static_cast<std::streamsize>(n));
  JsonParser p{header, 0, at};
  Json const root = p.parse();
  if (root.kind != Json::object) throw InputError(at + ": malformed safetensors header (not a JSON object)");
  auto it = root.fields.find(name);
  if (it == root.fields.end()) throw InputError(at + ": has no tensor named '" + name + "'");
  Json const& t = it->second;
  auto field = [&](char const* key) -> Json const& {
    auto f = t.fields.find(key);
    if (t.kind != Json::object || f == t.fields.end())
      throw InputError(at + ": tensor '" + name + "' has no '" + key + "' in the header");
    return f->second;
  };
  LoadedTensor out;
  Json const& dtype = field("dtype");
  Json const& shape = field("shape");
  Json const& offsets = field("data_offsets");
  if (dtype.kind != Json::string || shape.kind != Json::array || offsets.kind != Json::array || offsets.items.size() != 2)
    throw InputError(at + ": tensor '" + name + "' has a malformed header entry");
  out.dtype = dtype.str;
  std::int64_t numel = 1;
  for (auto const& d : shape.items) {
    if (d.kind != Json::number || !d.is_integer || d.integer < 0 || d.integer > (std::int64_t(1) << 40))
      throw InputError(at + ": tensor '" + name + "' has a malformed shape");
    out.shape.push_back(d.integer);
    numel *= d.integer;
    if (numel > (std::int64_t(1) << 40)) throw InputError(at + ": tensor '" + name + "' is too large");
  }
  std::int64_t const b = offsets.items[0].integer, e = offsets.items[1].integer;
  std::int64_t const esize = dtype_bytes(out.dtype);
  if (!offsets.items[0].is_integer || !offsets.items[1].is_integer || b < 0 || e < b ||
      static_cast<std::uint64_t>(e) > file_size - 8 - n)
    throw InputError(at + ": tensor '" + name + "' has data_offsets outside the file");
  if (esize == 0 || e - b != numel * esize)
    throw InputError(at + ": tensor '" + name + "' (" + out.dtype + "): data_offsets do not match its shape and dtype");
  out.bytes.resize(static_cast<std::size_t>(e - b));
  in.seekg(static_cast<std::streamoff>(8 + n + static_cast<std::uint64_t>(b)));
  if (!in.read(out.bytes.data(), static_cast<std::streamsize>(e - b))) throw InputError(at + ": truncated data");
  return out;
}

}  // namespace titan
