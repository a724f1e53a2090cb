#include "titan/checkpoint/safetensors_codec.hpp"

#include "titan/checkpoint/checked_arith.hpp"
#include "titan/core/errors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>

namespace titan {

namespace {

struct DTypeInfo {
  StoredDType t;
  char const* name;
  std::size_t size;
};
constexpr DTypeInfo dtype_table[] = {
    {StoredDType::F64, "F64", 8},         {StoredDType::F32, "F32", 4},         {StoredDType::F16, "F16", 2},
    {StoredDType::BF16, "BF16", 2},       {StoredDType::F8_E4M3, "F8_E4M3", 1}, {StoredDType::F8_E5M2, "F8_E5M2", 1},
    {StoredDType::I64, "I64", 8},         {StoredDType::I32, "I32", 4},         {StoredDType::I16, "I16", 2},
    {StoredDType::I8, "I8", 1},           {StoredDType::U64, "U64", 8},         {StoredDType::U32, "U32", 4},
    {StoredDType::U16, "U16", 2},         {StoredDType::U8, "U8", 1},           {StoredDType::BOOL, "BOOL", 1},
};

DTypeInfo const& info(StoredDType t) {
  for (auto const& d : dtype_table)
    if (d.t == t) return d;
  return dtype_table[1];
}

[[noreturn]] void corrupt(std::string const& file, std::string const& what) {
  throw InputError(file + ": corrupt header: " + what);
}

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

char const* stored_dtype_name(StoredDType t) { return info(t).name; }
std::size_t stored_dtype_size(StoredDType t) { return info(t).size; }
StoredDType stored_dtype_of(DType t) { return t == DType::float32 ? StoredDType::F32 : StoredDType::BF16; }

bool parse_stored_dtype(std::string const& s, StoredDType& out) {
  for (auto const& d : dtype_table)
    if (s == d.name) {
      out = d.t;
      return true;
    }
  return false;
}

bool parameter_dtype_of(StoredDType t, DType& out) {
  if (t == StoredDType::F32) out = DType::float32;
  else if (t == StoredDType::BF16) out = DType::bfloat16;
  else return false;
  return true;
}

void append_json_string(std::string& o, std::string const& s) {
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

std::string describe_shape(std::vector<std::int64_t> const& s) {
  std::string o = "[";
  for (std::size_t i = 0; i < s.size(); ++i) o += (i ? ", " : "") + std::to_string(s[i]);
  return o + "]";
}

std::string encode_header(std::vector<TensorRecord> const& tensors, Metadata const& metadata) {
  std::string o = "{";
  if (!metadata.empty()) {
    o += "\"__metadata__\":{";
    for (std::size_t i = 0; i < metadata.size(); ++i) {
      if (i) o += ',';
      append_json_string(o, metadata[i].first);
      o += ':';
      append_json_string(o, metadata[i].second);
    }
    o += '}';
  }
  bool first = metadata.empty();
  for (auto const& t : tensors) {
    if (!first) o += ',';
    first = false;
    append_json_string(o, t.name);
    o += ":{\"dtype\":\"";
    o += stored_dtype_name(t.dtype);
    o += "\",\"shape\":[";
    for (std::size_t d = 0; d < t.shape.size(); ++d) o += (d ? "," : "") + std::to_string(t.shape[d]);
    o += "],\"data_offsets\":[" + std::to_string(t.begin) + "," + std::to_string(t.end) + "]}";
  }
  o += '}';
  o.append((8 - o.size() % 8) % 8, ' ');
  return o;
}

std::string header_length_prefix(std::uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}

bool json_depth_ok(std::string const& text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char const c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_json_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

TensorRecord const* ParsedFile::find(std::string const& n) const {
  for (auto const& t : tensors)
    if (t.name == n) return &t;
  return nullptr;
}

ParsedFile parse_header(std::string const& header_text, std::string const& file, std::uint64_t header_size,
                        std::uint64_t file_size) {
  using nlohmann::json;
  ParsedFile out;
  out.name = file;
  out.header_size = header_size;
  out.file_size = file_size;
  if (file_size < 8 || header_size > file_size - 8)
    corrupt(file, "header length " + std::to_string(header_size) + " is larger than the file (" +
                      std::to_string(file_size) + " bytes)");
  if (header_size > max_header_bytes)
    corrupt(file, "header length " + std::to_string(header_size) + " exceeds the limit of " +
                      std::to_string(max_header_bytes));
  if (!json_depth_ok(header_text)) corrupt(file, "JSON nested deeper than " + std::to_string(max_json_depth));
  json j;
  try {
    j = json::parse(header_text);
  } catch (json::exception const& e) {
    corrupt(file, std::string("invalid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) corrupt(file, "the header is not a JSON object");
  std::uint64_t const available = file_size - out.data_start();  // bytes of tensor data the file holds
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
    if (!parse_stored_dtype(dt->get<std::string>(), t.dtype))
      corrupt(file, where + "dtype " + dt->get<std::string>() + " is not a safetensors dtype titan_app reads");
    auto const sh = v.find("shape");
    if (sh == v.end() || !sh->is_array()) corrupt(file, where + "no shape array");
    for (auto const& e : *sh) {
      if (!e.is_number_unsigned() || e.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        corrupt(file, where + "shape entries must be non-negative 64-bit integers");
      t.shape.push_back(static_cast<std::int64_t>(e.get<std::uint64_t>()));
    }
    std::uint64_t numel = 0, expect = 0;
    if (!checked_numel(t.shape, numel) || !checked_mul(numel, stored_dtype_size(t.dtype), expect))
      corrupt(file, where + "shape " + describe_shape(t.shape) + " x " + dt->get<std::string>() +
                        " has more bytes than 64 bits can count");
    auto const off = v.find("data_offsets");
    if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
      corrupt(file, where + "data_offsets must be two non-negative integers");
    t.begin = (*off)[0].get<std::uint64_t>();
    t.end = (*off)[1].get<std::uint64_t>();
    if (t.end < t.begin) corrupt(file, where + "data_offsets end before they begin");
    if (t.end - t.begin != expect)
      corrupt(file, where + "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) + ") hold " +
                        std::to_string(t.end - t.begin) + " bytes but shape " + describe_shape(t.shape) + " x " +
                        dt->get<std::string>() + " needs " + std::to_string(expect));
    out.tensors.push_back(std::move(t));
  }
  std::sort(out.tensors.begin(), out.tensors.end(), [](TensorRecord const& a, TensorRecord const& b) {
    return a.begin < b.begin || (a.begin == b.begin && a.end < b.end);
  });
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
  if (expected_begin > available) {
    std::string last;
    for (auto const& t : out.tensors)
      if (t.end > available) {
        last = t.name;
        break;
      }
    std::uint64_t needed = 0;
    if (!checked_add(out.data_start(), expected_begin, needed)) needed = std::numeric_limits<std::uint64_t>::max();
    throw InputError(file + ": truncated: tensor '" + last + "' needs bytes up to " + std::to_string(needed) +
                     " but the file has " + std::to_string(file_size) + " bytes");
  }
  if (expected_begin < available)
    throw InputError(file + ": " + std::to_string(available - expected_begin) +
                     " bytes after the last tensor's data (not a safetensors file as written)");
  return out;
}

ParsedFile parse_safetensors_bytes(std::string const& bytes, std::string const& name) {
  if (bytes.size() < 8) throw InputError(name + ": truncated: shorter than the 8-byte header length");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  std::uint64_t const size = bytes.size();
  if (n > size - 8 || n > max_header_bytes) return parse_header(std::string(), name, n, size);  // throws
  return parse_header(bytes.substr(8, static_cast<std::size_t>(n)), name, n, size);
}

int open_regular_file(std::string const& path, std::string const& what, std::uint64_t& size) {
  // O_NONBLOCK: opening a FIFO for reading returns at once instead of
  // waiting for a writer; fstat then tells what it is.
  int const fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw InputError(path + ": cannot open (" + errno_text(errno) + ")");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int const e = errno;
    ::close(fd);
    throw InputError(path + ": cannot open (" + errno_text(e) + ")");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    char const* kind = S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : S_ISSOCK(st.st_mode) ? "a socket"
                                                                                                       : "not a file";
    throw InputError(path + ": not a regular file (" + kind + "), expected " + what);
  }
  int const flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  size = static_cast<std::uint64_t>(st.st_size);
  return fd;
}

void read_exactly(int fd, std::string const& path, std::uint64_t offset, std::uint64_t n, char* out) {
  std::uint64_t done = 0;
  while (done < n) {
    std::size_t const chunk = static_cast<std::size_t>(std::min<std::uint64_t>(n - done, std::uint64_t(1) << 30));
    ssize_t const got = ::pread(fd, out + done, chunk, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw InputError(path + ": read failed (" + errno_text(errno) + ")");
    if (got == 0)
      throw InputError(path + ": truncated: the file ends at byte " + std::to_string(offset + done) + ", expected " +
                       std::to_string(offset + n));
    done += static_cast<std::uint64_t>(got);
  }
}

namespace {
struct Fd {
  int fd;
  ~Fd() { ::close(fd); }
};
}  // namespace

ParsedFile read_file_header(std::string const& path) {
  std::uint64_t size = 0;
  Fd f{open_regular_file(path, "a safetensors file", size)};
  if (size < 8) throw InputError(path + ": truncated: shorter than the 8-byte header length");
  unsigned char len[8];
  read_exactly(f.fd, path, 0, 8, reinterpret_cast<char*>(len));
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len[i];
  if (n > size - 8 || n > max_header_bytes) return parse_header(std::string(), path, n, size);  // throws
  std::string text(static_cast<std::size_t>(n), '\0');
  if (n > 0) read_exactly(f.fd, path, 8, n, &text[0]);
  return parse_header(text, path, n, size);
}

std::string read_small_file(std::string const& path, std::string const& what, std::uint64_t limit) {
  std::uint64_t size = 0;
  Fd f{open_regular_file(path, what, size)};
  if (size > limit)
    throw InputError(path + ": " + what + " is " + std::to_string(size) + " bytes, more than the limit of " +
                     std::to_string(limit));
  std::string text(static_cast<std::size_t>(size), '\0');
  if (size > 0) read_exactly(f.fd, path, 0, size, &text[0]);
  return text;
}

}  // namespace titan
