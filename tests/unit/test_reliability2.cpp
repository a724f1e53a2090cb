// Issue 12 ("Reliability round 2"), one section per defect class: checked
// allocation sizes, finite initializers in the storage type, bounded and
// escaped messages, the command line's --flag=value forms.
#include "titan/app/cli.hpp"
#include "titan/config/deck.hpp"
#include "titan/config/deck_source.hpp"
#include "titan/core/checked_size.hpp"
#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/init/fill.hpp"
#include "titan/init/init_range.hpp"
#include "titan/models/llama3/llama3_family.hpp"
#include "titan/models/registry.hpp"
#include "titan/modules/decoder.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace titan;

namespace {

Options parse(std::vector<std::string> args) {
  args.insert(args.begin(), "titan_app");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(&a[0]);
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

Mesh one_rank() { return Mesh::resolve(MeshRequest{{1, 1, 1}}, 1); }

}  // namespace

// ---- 1. allocation sizes ------------------------------------------------------

TEST_CASE("sizes are multiplied in checked 64-bit arithmetic", "[issue12][sizes]") {
  CHECK(checked_product({268435456, 8, 2}, "x") == 4294967296LL);
  CHECK_THROWS_WITH(checked_product({std::int64_t(1) << 40, std::int64_t(1) << 30}, "the thing"),
                    Catch::Contains("the thing overflows 64-bit arithmetic (1099511627776 x 1073741824)"));
  // A buffer (the RoPE table [max_seq_len, dim/2, 2] with dim 16) counts its
  // elements and bytes in checked arithmetic when it is declared.
  std::int64_t const half = 8;
  CHECK_THROWS_AS(Buffer("freqs_cis", {std::int64_t(1) << 61, half, 2}), InputError);  // 2^65 elements
  CHECK_THROWS_WITH(Buffer("freqs_cis", {std::int64_t(1) << 59, half, 2}),  // 2^63 elements of 4 bytes
                    Catch::Contains("freqs_cis") && Catch::Contains("64 bits"));
  CHECK(Buffer("freqs_cis", {1000, half, 2}).numel() == 16000);
  CHECK(Buffer("freqs_cis", {1000, half, 2}).bytes() == 64000);
}

TEST_CASE("a parameter whose shape overflows is refused before allocating", "[issue12][sizes]") {
  std::int64_t const big = std::int64_t(1) << 32;
  CHECK_THROWS_WITH(Parameter("w", {big, big}, replicated(), DType::float32, one_rank(), 0),
                    Catch::Contains("w: the shape [4294967296, 4294967296] has more elements"));
  // 2^62 elements fit, their float32 bytes do not.
  CHECK_THROWS_WITH(Parameter("w", {std::int64_t(1) << 31, std::int64_t(1) << 31}, replicated(), DType::float32,
                              one_rank(), 0),
                    Catch::Contains("has more bytes"));
}

TEST_CASE("freqs_cis is one flat View of exactly the planned elements", "[issue12][sizes]") {
  Deck const deck = read_deck_text("[model]\nmax_seq_len = 37\ndim = 64\nn_heads = 4\nn_layers = 1\n", "t.toml", {}, deck_families());
  Mesh const mesh = one_rank();
  BuildContext ctx;
  ctx.mesh = mesh;
  ctx.overrides = nullptr;
  auto const model = llama3_config(deck.model_args<Llama3Args>()).build(ctx);
  CHECK(model->freqs_cis().span() == 37u * 8u * 2u);
  InitContext ictx;
  model->init_states(ictx);
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), model->freqs_cis());
  // Position 36, frequency 0 (1.0): (cos 36, sin 36) at (36 * 8 + 0) * 2.
  CHECK(host(36 * 16) == Approx(std::cos(36.0)).margin(1e-5));
  CHECK(host(36 * 16 + 1) == Approx(std::sin(36.0)).margin(1e-5));
}

TEST_CASE("the RoPE table limit covers its bytes", "[issue12][sizes]") {
  // 2^46 positions x head_dim 16 = 2^50 elements (the element limit), 2^52 bytes: more than 2^50.
  CHECK_THROWS_WITH(read_deck_text("[model]\nmax_seq_len = 70368744177664\n", "t.toml", {}, deck_families()),
                    Catch::Contains("the RoPE table (freqs_cis") && Catch::Contains("bytes, more than 2^50"));
  CHECK_NOTHROW(read_deck_text("[model]\nmax_seq_len = 1048576\n", "t.toml", {}, deck_families()));
}

// ---- 4. finite initializers -----------------------------------------------------

TEST_CASE("initializers must stay finite in the storage type", "[issue12][init_range]") {
  double const bf16_max = 3.3895313892515355e38;
  CHECK(storage_max(DType::bfloat16) == bf16_max);
  CHECK_NOTHROW(check_init_range(InitSpec::constant(3.39e38), DType::float32, "w"));
  CHECK_THROWS_WITH(check_init_range(InitSpec::constant(3.39e38), DType::bfloat16, "w"),
                    Catch::Contains("w: constant value 3.39e+38 is not finite in bfloat16"));
  CHECK_THROWS_AS(check_init_range(InitSpec::constant(-1e39), DType::float32, "w"), InputError);
  // normal: |mean| + 40 std within the storage range.
  CHECK_NOTHROW(check_init_range(InitSpec::normal(1.0, 8e36), DType::float32, "w"));
  CHECK_THROWS_WITH(check_init_range(InitSpec::normal(1.0, 9e36), DType::float32, "w"),
                    Catch::Contains("reaches |mean| + 40 std"));
  CHECK_THROWS_AS(check_init_range(InitSpec::normal(-3.3e38, 1e37), DType::float32, "w"), InputError);
  // uniform: bounds and width.
  CHECK_NOTHROW(check_init_range(InitSpec::uniform(-1e38, 1e38), DType::bfloat16, "w"));
  CHECK_THROWS_AS(check_init_range(InitSpec::uniform(-3e38, 3e38), DType::float32, "w"), InputError);  // width
  CHECK_THROWS_AS(check_init_range(InitSpec::uniform(0, 3.395e38), DType::bfloat16, "w"), InputError);
  // Ordinary specs pass.
  CHECK_NOTHROW(check_init_range(InitSpec::trunc_normal(0, 0.02, -2, 2), DType::bfloat16, "w"));
  CHECK_NOTHROW(check_init_range(InitSpec::trunc_normal(0, 0.0625, -0.1875, 0.1875), DType::float32, "w"));
}

TEST_CASE("a trunc_normal interval far in one tail is refused, a reachable one samples finite values",
          "[issue12][init_range]") {
  for (auto const& spec : {InitSpec::trunc_normal(0, 1, 5.2, 7), InitSpec::trunc_normal(0, 1, -9, -5.0),
                           InitSpec::trunc_normal(10, 2, 22, 30)})
    CHECK_THROWS_WITH(check_init_range(spec, DType::float32, "w"), Catch::Contains("so far in one tail"));
  InitSpec const ok = InitSpec::trunc_normal(0, 1, 3, 4);  // probability 1.3e-3
  REQUIRE_NOTHROW(check_init_range(ok, DType::float32, "w"));
  for (std::uint64_t i = 0; i < 2000; ++i) {
    double const v = reference_value(ok, 5, "w", DType::float32, i);
    REQUIRE(std::isfinite(v));
    REQUIRE(v >= 3.0);
    REQUIRE(v <= 4.0);
  }
}

TEST_CASE("a deck override out of the storage range names its position", "[issue12][init_range]") {
  std::string const deck = "[run]\ndtype = \"bfloat16\"\n[init.overrides]\n\"norm.weight\" = { kind = \"constant\", value = 3.395e38 }\n";
  CHECK_THROWS_WITH(read_deck_text(deck, "t.toml", {}, deck_families()),
                    Catch::StartsWith("t.toml:4:") && Catch::Contains("not finite in bfloat16"));
  CHECK_NOTHROW(read_deck_text(deck, "t.toml", {"run.dtype=float32"}, deck_families()));
}

// ---- 7. messages -------------------------------------------------------------------

TEST_CASE("echoed values are escaped and shortened", "[issue12][echo]") {
  CHECK(echo("seed") == "seed");
  CHECK(echo(std::string("a\0b\nc\t'\"\\", 9)) == "a\\x00b\\nc\\t\\'\\\"\\\\");
  std::string const huge(100000000, 'x');
  std::string const e = echo(huge);
  CHECK(e == std::string(60, 'x') + "\xE2\x80\xA6 (100000000 bytes)");
  // Never cut inside a UTF-8 sequence: 59 ASCII + a 2-byte character.
  std::string const utf = std::string(59, 'a') + "\xC3\xA9" + "zz";
  CHECK(echo(utf) == std::string(59, 'a') + "\xE2\x80\xA6 (63 bytes)");
}

TEST_CASE("messages lose Kokkos' traceback note and stay bounded", "[issue12][echo]") {
  std::string const kokkos = "allocating w (8 bytes) failed: Kokkos failed to allocate memory for label \"w\".\n"
                             "Traceback functionality not available\n\n";
  std::string const m = clean_message(kokkos);
  CHECK(m.find("Traceback") == std::string::npos);
  CHECK(m == "allocating w (8 bytes) failed: Kokkos failed to allocate memory for label \"w\".");
  CHECK(clean_message(std::string(10000, 'y')).size() < 4100);
  CHECK(clean_message(std::string("a\0b", 3)) == "a\\x00b");
}

TEST_CASE("a huge value or key is not echoed in full", "[issue12][echo]") {
  std::string const big(10 << 20, 'q');
  try {
    read_deck_text("[model]\nflavor = \"" + big + "\"\n", "t.toml", {}, deck_families());
    FAIL("accepted");
  } catch (InputError const& e) {
    CHECK(std::string(e.what()).size() < 500);
    CHECK_THAT(e.what(), Catch::Contains("(10485760 bytes)"));
  }
  try {
    read_deck_text("[run]\n" + big + " = 1\n", "t.toml", {}, deck_families());
    FAIL("accepted");
  } catch (InputError const& e) {
    CHECK(std::string(e.what()).size() < 500);
    CHECK_THAT(e.what(), Catch::Contains("unknown key 'qqqq") && Catch::Contains("(10485760 bytes)"));
  }
}

TEST_CASE("a key defined twice is named as written", "[issue12][echo]") {
  CHECK_THROWS_WITH(read_deck_text("[model]\ndim = 64\n\"dim\" = 32\n", "t.toml", {}, deck_families()),
                    Catch::Contains("malformed TOML: \"dim\" is defined twice (it already holds an integer)"));
}

TEST_CASE("many unmatched overrides list five and a count", "[issue12][echo]") {
  std::string deck = "[model]\nn_layers = 1\n[init.overrides]\n";
  for (int i = 0; i < 1000; ++i) deck += "\"nothing." + std::to_string(i) + "\" = \"zeros\"\n";
  Deck d = read_deck_text(deck, "t.toml", {}, deck_families());
  Mesh const mesh = one_rank();
  BuildContext ctx;
  ctx.mesh = mesh;
  ctx.allocate = false;
  ctx.overrides = &d.overrides;
  auto const model = llama3_config(d.model_args<Llama3Args>()).build(ctx);
  try {
    d.overrides.expect_all_matched();
    FAIL("accepted");
  } catch (InputError const& e) {
    std::string const m = e.what();
    CHECK(std::count(m.begin(), m.end(), '\n') == 6);
    CHECK_THAT(m, Catch::Contains("'nothing.0' matches no parameter") && Catch::EndsWith("\xE2\x80\xA6 and 995 more"));
  }
}

TEST_CASE("a --set with a line break or NUL is refused, not parsed as more TOML", "[issue12][echo]") {
  CHECK_THROWS_WITH(read_deck_text("", "t.toml", {"run.seed=1\n[model]\nn_layers=1"}, deck_families()),
                    Catch::Contains("--set run.seed=1\\n[model]\\nn_layers=1: a --set may not contain a line break"));
  CHECK_THROWS_AS(read_deck_text("", "t.toml", {std::string("run.seed=1\0x", 12)}, deck_families()), InputError);
  CHECK_THROWS_AS(read_deck_text("", "t.toml", {"run.seed=1\r"}, deck_families()), InputError);
  CHECK(read_deck_text("", "t.toml", {"run.seed=9"}, deck_families()).run.seed == 9);
}

// ---- 2. the deck's bytes ----------------------------------------------------------

TEST_CASE("a deck source larger than the limit is refused with the file and the limit", "[issue12][deck_source]") {
  char name[] = "/tmp/titan_deck_XXXXXX";
  int const fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(name) << std::string(5000, '#');
  CHECK(read_deck_source(name).size() == 5000);
  CHECK_THROWS_WITH(read_deck_source(name, 4096),
                    Catch::Contains(std::string(name) + ": the input deck is larger than the 4096 bytes limit"));
  CHECK_THROWS_WITH(read_deck_source("/dev/zero", std::size_t(1) << 20),
                    Catch::Contains("/dev/zero: the input deck is larger than the 1 MiB limit"));
  std::remove(name);
}

// ---- 8. command line -----------------------------------------------------------------

TEST_CASE("every flag with a value takes --flag=value as well as --flag value", "[issue12][cli]") {
  Options const a = parse({"--dry-run", "--ranks=48", "--report-json=r.json", "--set=run.seed=3", "d.toml"});
  Options const b = parse({"--dry-run", "--ranks", "48", "--report-json", "r.json", "--set", "run.seed=3", "d.toml"});
  CHECK(a.plan_ranks == 48);
  CHECK(b.plan_ranks == 48);
  CHECK(a.report_json == "r.json");
  CHECK(a.sets == b.sets);
  CHECK(a.sets == std::vector<std::string>{"run.seed=3"});
  CHECK_THROWS_WITH(parse({"--dry-run", "--ranks=", "d.toml"}), Catch::Contains("--ranks : expected a rank count"));
  CHECK_THROWS_WITH(parse({"--dry-run", "--ranks=0x10", "d.toml"}), Catch::Contains("expected a rank count"));
  CHECK_THROWS_WITH(parse({"--report-json=", "d.toml"}), Catch::Contains("--report-json: the path is empty"));
  CHECK_THROWS_WITH(parse({"--report-json", "", "d.toml"}), Catch::Contains("--report-json: the path is empty"));
  CHECK_THROWS_WITH(parse({"--dry-run=yes", "d.toml"}), Catch::Contains("--dry-run takes no value"));
  CHECK_THROWS_WITH(parse({"--dry-rn=1", "d.toml"}), Catch::Contains("(did you mean '--dry-run'?)"));
  CHECK(parse({"--kokkos-threads=2", "d.toml"}).deck_path == "d.toml");
}
