#include "titan/forward/safetensors.hpp"

#include "titan/core/errors.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace titan {

namespace {

// The records of `tensors`, data laid out back to back in order.
std::vector<TensorRecord> records_of(std::vector<SafeTensor> const& tensors) {
  std::vector<TensorRecord> out;
  std::uint64_t offset = 0;
  for (auto const& t : tensors) {
    TensorRecord r;
    r.name = t.name;
    if (!parse_stored_dtype(t.dtype, r.dtype)) throw RunError("safetensors writer: unknown dtype " + t.dtype);
    r.shape = t.shape;
    std::uint64_t n = stored_dtype_size(r.dtype);
    for (auto e : t.shape) n *= static_cast<std::uint64_t>(e);
    if (t.bytes < 0 || n != static_cast<std::uint64_t>(t.bytes))
      throw RunError("safetensors writer: tensor '" + t.name + "' has " + std::to_string(t.bytes) + " bytes, its shape " +
                     describe_shape(t.shape) + " needs " + std::to_string(n));
    r.begin = offset;
    r.end = offset + n;
    offset = r.end;
    out.push_back(std::move(r));
  }
  return out;
}

std::string header_prefix(std::vector<SafeTensor> const& tensors) {
  std::string const header = encode_header(records_of(tensors), Metadata{});
  return header_length_prefix(header.size()) + header;
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

LoadedTensor read_safetensor(std::string const& path, std::string const& name, std::string const& where,
                             std::uint64_t max_bytes) {
  std::string const at = where + " " + path;
  ParsedFile pf;
  try {
    pf = read_file_header(path);
  } catch (InputError const& e) {
    throw InputError(where + " " + e.what());
  }
  TensorRecord const* t = pf.find(name);
  if (!t) throw InputError(at + ": has no tensor named '" + name + "'");
  if (t->nbytes() > max_bytes)
    throw InputError(at + ": tensor '" + name + "' holds " + std::to_string(t->nbytes()) + " bytes, more than the " +
                     std::to_string(max_bytes) + " expected at most");
  LoadedTensor out;
  out.dtype = stored_dtype_name(t->dtype);
  out.shape = t->shape;
  out.bytes.resize(static_cast<std::size_t>(t->nbytes()));
  std::uint64_t size = 0;
  int const fd = open_regular_file(path, "a safetensors file", size);
  try {
    if (t->nbytes() > 0) read_exactly(fd, path, pf.data_start() + t->begin, t->nbytes(), out.bytes.data());
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return out;
}

}  // namespace titan
