// libFuzzer entry point for the safetensors header and index reader
// (checkpoint/safetensors_codec.hpp, safetensors_format.hpp): each input is
// parsed as a whole .safetensors file (length prefix, header, data, checked
// against the input's size) and as a model.safetensors.index.json. InputError
// is the expected outcome of bad input; anything else aborts, so libFuzzer
// keeps the input as a crash (as do ASan/UBSan findings). When a header
// parses, every tensor it describes must lie inside the input: the parser's
// promise that no size taken from a file is used unchecked. Run with
// scripts/fuzz.sh.
#include "titan/checkpoint/safetensors_codec.hpp"
#include "titan/checkpoint/safetensors_format.hpp"
#include "titan/core/errors.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string const bytes(reinterpret_cast<char const*>(data), size);
  try {
    titan::ParsedFile const f = titan::parse_safetensors_bytes(bytes, "input");
    for (auto const& t : f.tensors)
      if (t.end < t.begin || f.data_start() + t.end > size) {
        std::fprintf(stderr, "fuzz_safetensors: tensor '%s' accepted outside the file\n", t.name.c_str());
        std::abort();
      }
  } catch (titan::InputError const&) {
    // bad input, reported as such
  } catch (std::exception const& e) {
    std::fprintf(stderr, "fuzz_safetensors: header: %s\n", e.what());
    std::abort();
  }
  try {
    titan::parse_index(bytes, "input");
  } catch (titan::InputError const&) {
  } catch (std::exception const& e) {
    std::fprintf(stderr, "fuzz_safetensors: index: %s\n", e.what());
    std::abort();
  }
  return 0;
}
