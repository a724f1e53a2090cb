// The one safetensors codec (checkpoint/safetensors_codec.hpp): every size
// a file states is checked before it is used. The files here are written by
// hand (header text spelled out in the test), not by the encoder under test.
#include "titan/checkpoint/safetensors_codec.hpp"
#include "titan/checkpoint/safetensors_format.hpp"
#include "titan/core/errors.hpp"
#include "titan/forward/safetensors.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace titan;

namespace {

// A file from a header text and `data_bytes` bytes of data (0x11 each).
std::string file_of(std::string const& header, std::size_t data_bytes) {
  std::string out;
  std::uint64_t const n = header.size();
  for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\x11');
}

// The message of the InputError that `f` throws ("" when none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (InputError const& e) {
    return e.what();
  }
  return "";
}

std::string parse_error(std::string const& header, std::size_t data_bytes) {
  return error_of([&] { parse_safetensors_bytes(file_of(header, data_bytes), "f"); });
}

struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/titan_codec_XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

}  // namespace

TEST_CASE("safetensors dtypes: the names and sizes of the safetensors format", "[safetensors]") {
  // The safetensors library's Dtype enum and its sizes (bits / 8).
  std::vector<std::pair<std::string, std::size_t>> const expected = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2},  {"U16", 2}, {"F16", 2},
      {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"F64", 8},     {"I64", 8},  {"U64", 8}};
  for (auto const& [name, size] : expected) {
    StoredDType t;
    REQUIRE(parse_stored_dtype(name, t));
    CHECK(stored_dtype_size(t) == size);
    CHECK(stored_dtype_name(t) == name);
  }
  StoredDType t;
  CHECK_FALSE(parse_stored_dtype("F4", t));  // sub-byte types: not read
  CHECK_FALSE(parse_stored_dtype("f32", t));
}

TEST_CASE("safetensors header: a valid file parses with its tensors in data order", "[safetensors]") {
  std::string const h =
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[3],"data_offsets":[8,14]},)"
      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ParsedFile const f = parse_safetensors_bytes(file_of(h, 14), "f");
  REQUIRE(f.tensors.size() == 2);
  CHECK(f.tensors[0].name == "a");
  CHECK(f.tensors[1].name == "b");
  CHECK(f.tensors[1].dtype == StoredDType::BF16);
  CHECK(f.tensors[1].shape == std::vector<std::int64_t>{3});
  CHECK(f.data_start() == 8 + h.size());
  REQUIRE(f.metadata.size() == 1);
  CHECK(f.metadata[0].second == "pt");
  // A scalar (shape []) holds one element; an empty dimension none.
  CHECK(parse_error(R"({"s":{"dtype":"I64","shape":[],"data_offsets":[0,8]}})", 8).empty());
  CHECK(parse_error(R"({"e":{"dtype":"F32","shape":[0,5],"data_offsets":[0,0]}})", 0).empty());
}

TEST_CASE("safetensors header: sizes that overflow 64 bits are refused, not wrapped", "[safetensors]") {
  // issue 19 class 7: 2^40 x 2^24 elements wraps to 0 in unchecked arithmetic.
  CHECK_THAT(parse_error(R"({"tokens":{"dtype":"I64","shape":[1099511627776,16777216],"data_offsets":[0,0]}})", 0),
             Catch::Contains("shape [1099511627776, 16777216] x I64 has more bytes than 64 bits can count"));
  // The element count fits, the byte count does not: 2^61 x 8 bytes.
  CHECK_THAT(parse_error(R"({"t":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}})", 0),
             Catch::Contains("more bytes than 64 bits can count"));
  // An extent beyond int64.
  CHECK_THAT(parse_error(R"({"t":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,0]}})", 0),
             Catch::Contains("shape entries must be non-negative 64-bit integers"));
  // An end offset near 2^63: the data would end far past the file.
  CHECK_THAT(parse_error(R"({"t":{"dtype":"U8","shape":[9223372036854775807],"data_offsets":[0,9223372036854775807]}})", 0),
             Catch::Contains("truncated: tensor 't' needs bytes up to 9223372036854775"));
}

TEST_CASE("safetensors header: header length bounded by the file and by 100 MB", "[safetensors]") {
  std::string f = file_of(R"({})", 0);
  f[0] = '\x40';  // 64 bytes claimed, 2 present
  CHECK_THAT(error_of([&] { parse_safetensors_bytes(f, "f"); }),
             Catch::Contains("corrupt header: header length 64 is larger than the file (10 bytes)"));
  std::string big = file_of(std::string(max_header_bytes + 8, ' '), 0);
  CHECK_THAT(error_of([&] { parse_safetensors_bytes(big, "f"); }),
             Catch::Contains("header length 100000008 exceeds the limit of 100000000"));
  CHECK_THAT(error_of([] { parse_safetensors_bytes("abc", "f"); }), Catch::Contains("shorter than the 8-byte header length"));
}

TEST_CASE("safetensors header: dtype, shape and offsets are checked against each other and the file", "[safetensors]") {
  CHECK_THAT(parse_error(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,6]}})", 6),
             Catch::Contains("data_offsets [0, 6) hold 6 bytes but shape [2] x F32 needs 8"));
  CHECK_THAT(parse_error(R"({"t":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", 8),
             Catch::Contains("dtype Q4 is not a safetensors dtype"));
  CHECK_THAT(parse_error(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
             Catch::Contains("shape entries must be non-negative"));
  CHECK_THAT(parse_error(R"({"t":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8),
             Catch::Contains("shape entries must be non-negative"));
  CHECK_THAT(parse_error(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8]}})", 8),
             Catch::Contains("data_offsets must be two non-negative integers"));
  CHECK_THAT(parse_error(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8),
             Catch::Contains("data_offsets end before they begin"));
  CHECK_THAT(parse_error(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", 8),
             Catch::Contains("unknown field 'x'"));
  CHECK_THAT(parse_error(R"({"t":{"shape":[2],"data_offsets":[0,8]}})", 8), Catch::Contains("no dtype string"));
  CHECK_THAT(parse_error(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})", 6),
             Catch::Contains("overlap the previous tensor"));
  CHECK_THAT(parse_error(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})", 8),
             Catch::Contains("a gap of 4 bytes before its data"));
  CHECK_THAT(parse_error(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})", 3),
             Catch::Contains("truncated: tensor 'a' needs bytes up to"));
  CHECK_THAT(parse_error(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})", 9),
             Catch::Contains("5 bytes after the last tensor's data"));
  CHECK_THAT(parse_error(R"({"__metadata__":{"k":1}})", 0), Catch::Contains("__metadata__ value of 'k' is not a string"));
  CHECK_THAT(parse_error(R"([1,2])", 0), Catch::Contains("the header is not a JSON object"));
  CHECK_THAT(parse_error(R"({"a":)", 0), Catch::Contains("corrupt header: invalid JSON"));
}

TEST_CASE("safetensors header: deep nesting is refused before parsing", "[safetensors]") {
  std::string const deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK_THAT(parse_error(deep, 0), Catch::Contains("JSON nested deeper than 64"));
  // Brackets inside strings do not count.
  std::string const name = std::string(200, '[');
  CHECK(parse_error("{\"" + name + R"(":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", 1).empty());
  CHECK(json_depth_ok(R"({"a":"\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})"));
}

TEST_CASE("safetensors index: weight_map entries must name files in the directory", "[safetensors]") {
  CHECK(parse_index(R"({"metadata":{"total_size":8},"weight_map":{"a":"m.safetensors"}})", "i").total_size == 8);
  CHECK_THAT(error_of([] { parse_index(R"({"weight_map":{"a":"../x"}})", "i"); }),
             Catch::Contains("not a file in the checkpoint directory"));
  CHECK_THAT(error_of([] { parse_index(R"({"weight_map":{"a":3}})", "i"); }), Catch::Contains("is not a file name"));
  CHECK_THAT(error_of([] { parse_index(R"({"metadata":{"total_size":-1},"weight_map":{}})", "i"); }),
             Catch::Contains("total_size is not a non-negative integer"));
  CHECK_THAT(error_of([] { parse_index(std::string(1000, '{'), "i"); }), Catch::Contains("nested deeper than 64"));
  CHECK_THAT(error_of([] { parse_index("{", "i"); }), Catch::Contains("invalid JSON"));
}

TEST_CASE("safetensors files: only regular files are read; a FIFO does not block", "[safetensors]") {
  TempDir d;
  std::string const fifo = d.path + "/fifo.safetensors";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Without a writer a blocking open() of a FIFO would never return.
  CHECK_THAT(error_of([&] { read_file_header(fifo); }), Catch::Contains("not a regular file (a FIFO)"));
  CHECK_THAT(error_of([&] { read_file_header(d.path); }), Catch::Contains("not a regular file (a directory)"));
  CHECK_THAT(error_of([&] { read_small_file(fifo, "the checkpoint index", 100); }),
             Catch::Contains("not a regular file (a FIFO), expected the checkpoint index"));
  CHECK_THAT(error_of([&] { read_file_header(d.path + "/none"); }), Catch::Contains("cannot open (No such file or directory)"));

  std::string const good = d.path + "/good.safetensors";
  {
    std::ofstream out(good, std::ios::binary);
    out << file_of(R"({"x":{"dtype":"I64","shape":[1,2],"data_offsets":[0,16]}})", 16);
  }
  LoadedTensor const t = read_safetensor(good, "x", "test");
  CHECK(t.dtype == "I64");
  CHECK(t.shape == std::vector<std::int64_t>{1, 2});
  CHECK(t.bytes == std::vector<char>(16, '\x11'));
  CHECK_THAT(error_of([&] { read_safetensor(good, "x", "test", 8); }), Catch::Contains("more than the 8 expected at most"));
  CHECK_THAT(error_of([&] { read_safetensor(good, "y", "test"); }), Catch::Contains("has no tensor named 'y'"));
  CHECK_THAT(error_of([&] { read_small_file(good, "an index", 10); }), Catch::Contains("more than the limit of 10"));
}

TEST_CASE("safetensors writer: the single-file encoder round-trips through the parser", "[safetensors]") {
  float const a[2] = {1.5f, -2.0f};
  std::int64_t const b[3] = {1, 2, 3};
  std::vector<SafeTensor> t(2);
  t[0] = {"a", "F32", {2}, a, 8};
  t[1] = {"b", "I64", {3}, b, 24};
  std::string const bytes = safetensors_bytes(t);
  // The exact header a reader expects (no __metadata__ when there is none).
  std::string const header =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[3],"data_offsets":[8,32]}})";
  std::string const padded = header + std::string((8 - header.size() % 8) % 8, ' ');
  CHECK(bytes.substr(8, padded.size()) == padded);
  ParsedFile const f = parse_safetensors_bytes(bytes, "f");
  REQUIRE(f.tensors.size() == 2);
  CHECK(f.tensors[1].end == 32);
  t[1].bytes = 16;  // does not match [3] x I64
  CHECK_THROWS_AS(safetensors_bytes(t), RunError);
}
