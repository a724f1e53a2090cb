// The RoPE table kernel (issue 20) against the host reference
// (fill_rope_table / rope_table_value: libm's cos and sin in double, rounded
// to float), bit for bit, on both kernel paths; its cos/sin against libm on
// angles up to the largest a 2^27-position table reaches; the fallback for
// the elements the kernel flags.
#include "titan/core/bf16.hpp"
#include "titan/core/types.hpp"
#include "titan/modules/rope_sincos.hpp"
#include "titan/modules/rope_table.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace titan;

namespace {

// The table made by the kernel, as float bits on the host.
std::vector<std::uint32_t> kernel_table(RoPEConfig const& c, KernelPath path, RopeTableFill& info,
                                        double limit = rope_fast_angle_limit) {
  View1<float> table("t", static_cast<std::size_t>(c.max_seq_len * c.dim));
  double progressed = 0;
  info = fill_rope_buffer(c, table, [&](double e) { progressed += e; }, path, limit);
  CHECK(progressed == static_cast<double>(c.max_seq_len * c.dim));
  auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), table);
  std::vector<std::uint32_t> out(h.extent(0));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = float_bits(h(i));
  return out;
}

std::vector<std::uint32_t> reference_table(RoPEConfig const& c) {
  std::vector<float> t(static_cast<std::size_t>(c.max_seq_len * c.dim));
  fill_rope_table(c, t.data());
  std::vector<std::uint32_t> out(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) out[i] = float_bits(t[i]);
  return out;
}

std::vector<RoPEConfig> configs() {
  std::vector<RoPEConfig> out;
  RoPEConfig llama;  // Llama3 8B's table, fewer positions
  llama.dim = 128;
  llama.max_seq_len = 3001;
  out.push_back(llama);
  RoPEConfig debug;  // the debug deck's width, odd position count
  debug.dim = 16;
  debug.max_seq_len = 20011;
  out.push_back(debug);
  RoPEConfig odd;  // dim/2 odd: pairs of a chunk straddle positions unevenly
  odd.dim = 6;
  odd.max_seq_len = 777;
  odd.scaling = "none";
  odd.theta = 10000;
  out.push_back(odd);
  RoPEConfig yarn;  // DeepSeek's YaRN
  yarn.dim = 64;
  yarn.max_seq_len = 1500;
  yarn.scaling = "yarn";
  yarn.theta = 10000;
  yarn.rope_factor = 40;
  out.push_back(yarn);
  return out;
}

}  // namespace

TEST_CASE("RoPE table kernel = host reference, bit for bit, both paths", "[rope][init]") {
  for (RoPEConfig const& c : configs()) {
    std::vector<std::uint32_t> const ref = reference_table(c);
    for (KernelPath path : {KernelPath::generic, KernelPath::host_chunked}) {
      INFO("dim " << c.dim << ", " << c.max_seq_len << " positions, " << c.scaling << ", " << kernel_path_name(path));
      RopeTableFill info;
      std::vector<std::uint32_t> const got = kernel_table(c, path, info);
      CHECK(info.elements == c.max_seq_len * c.dim);
      CHECK_FALSE(info.whole_table_on_host);
      int diffs = 0;
      for (std::size_t i = 0; i < ref.size(); ++i) diffs += got[i] != ref[i];
      CHECK(diffs == 0);
    }
  }
}

TEST_CASE("rope_sincos: a value it vouches for is libm's, up to the angles of 2^27 positions", "[rope][init]") {
  // Random float angles over [0, 1.4e8] (f_0 = 1 times positions below 2^27),
  // the floats nearest to multiples of pi/2 (tiny reduced arguments), and small angles.
  std::mt19937_64 gen(2024);
  std::uniform_real_distribution<double> wide(0.0, 1.4e8), narrow(0.0, 64.0);
  std::vector<float> angles;
  for (int i = 0; i < 1000000; ++i) angles.push_back(static_cast<float>(wide(gen)));
  for (int i = 0; i < 200000; ++i) angles.push_back(static_cast<float>(narrow(gen)));
  for (std::int64_t k = 1; k < 89000000; k += 9973) {  // k pi/2 up to 1.4e8
    float const a = static_cast<float>(static_cast<double>(k) * 1.5707963267948966);
    angles.push_back(a);
    angles.push_back(std::nextafter(a, 0.0f));
    angles.push_back(std::nextafter(a, 3e38f));
  }
  angles.push_back(0.0f);
  std::int64_t vouched = 0, wrong = 0;
  for (float a : angles) {
    float vc, vs;
    int ok;
    rope_sincos(a, rope_fast_angle_limit, vc, vs, ok);
    float const c = static_cast<float>(std::cos(static_cast<double>(a)));
    float const s = static_cast<float>(std::sin(static_cast<double>(a)));
    if (ok & 1) ++vouched, wrong += float_bits(vc) != float_bits(c);
    if (ok & 2) ++vouched, wrong += float_bits(vs) != float_bits(s);
  }
  CHECK(wrong == 0);
  // Flags are rare (about 2^-23 of the values): almost every value is vouched for.
  CHECK(vouched > static_cast<std::int64_t>(2 * angles.size()) - 100);
  float vc, vs;
  int ok;
  rope_sincos(0.0f, rope_fast_angle_limit, vc, vs, ok);
  CHECK((ok == 3 && vc == 1.0f && vs == 0.0f));
  rope_sincos(2.5e8f, rope_fast_angle_limit, vc, vs, ok);
  CHECK(ok == 0);  // beyond the exact reduction: always flagged
}

TEST_CASE("RoPE table: flagged elements get the reference's values; too many flags, the reference does all", "[rope][init]") {
  RoPEConfig c;
  c.dim = 16;
  c.max_seq_len = 5000;
  std::vector<std::uint32_t> const ref = reference_table(c);
  for (KernelPath path : {KernelPath::generic, KernelPath::host_chunked}) {
    INFO(kernel_path_name(path));
    // Angles >= 4000 flagged: only position >= 4000 of j = 0 (f_0 = 1) -> 2 x 1000 elements.
    RopeTableFill some;
    std::vector<std::uint32_t> const got = kernel_table(c, path, some, 4000.0);
    CHECK(some.flagged >= 2000);
    CHECK(some.flagged < 2010);  // (plus the rare natural flags)
    CHECK_FALSE(some.whole_table_on_host);
    CHECK(got == ref);
    // Every angle flagged (limit 0): 80000 flags, more than the list holds (65536 + n / 65536).
    RopeTableFill all;
    std::vector<std::uint32_t> const got_all = kernel_table(c, path, all, 0.0);
    CHECK(all.flagged > 65536);
    CHECK(all.whole_table_on_host);
    CHECK(got_all == ref);
  }
}
