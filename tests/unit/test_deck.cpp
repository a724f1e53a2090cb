// Deck reading: keys, types, positions, --set, overrides by FQN pattern.
#include "titan/config/deck.hpp"
#include "titan/core/errors.hpp"
#include "titan/models/llama3/llama3_family.hpp"
#include "titan/models/registry.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace titan;

namespace {

// Writes `text` to a fresh temporary deck and returns its path.
std::string deck_file(std::string const& text) {
  static int n = 0;
  std::string const path = "/tmp/titan_test_deck_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".toml";
  std::ofstream(path) << text;
  return path;
}

std::string const base = "[run]\nseed = 1\n[model]\nfamily = \"llama3\"\nflavor = \"debugmodel\"\n";

}  // namespace

TEST_CASE("defaults and flavor presets", "[deck]") {
  Deck const d = read_deck(deck_file(base), {}, deck_families());
  CHECK(d.run.seed == 1);
  CHECK(d.run.dtype == DType::float32);
  CHECK(d.run.repeat == 1);
  CHECK(d.mesh.sizes == std::array<int, 3>{-1, 1, 1});
  CHECK(d.model_args<Llama3Args>().dim == 256);
  CHECK(d.model_args<Llama3Args>().n_layers == 6);
}

TEST_CASE("command-line set overrides any key, with TOML values or bare words", "[deck]") {
  Deck const d = read_deck(deck_file(base), {"run.dtype=bfloat16", "model.n_layers=2", "mesh.tp=2",
                                             "init.overrides.\"norm.weight\"={ kind = \"constant\", value = 0.5 }"},
                           deck_families());
  CHECK(d.run.dtype == DType::bfloat16);
  CHECK(d.model_args<Llama3Args>().n_layers == 2);
  CHECK(d.mesh.sizes[tp] == 2);
  REQUIRE(d.overrides.init.size() == 1);
  CHECK(d.overrides.init[0].spec.kind == InitKind::constant);
  CHECK(d.overrides.init[0].spec.value == 0.5);
}

TEST_CASE("unknown keys are named with position and a suggestion", "[deck]") {
  std::string const path = deck_file(base + "n_head = 4\n");
  CHECK_THROWS_WITH(read_deck(path, {}, deck_families()), Catch::Contains(path + ":6:1: [model] unknown key 'n_head'") &&
                                             Catch::Contains("did you mean 'n_heads'?"));
  CHECK_THROWS_WITH(read_deck(deck_file(base), {"run.sed=3"}, deck_families()), Catch::Contains("did you mean 'seed'?"));
}

TEST_CASE("wrong types and out-of-range values are named", "[deck]") {
  CHECK_THROWS_WITH(read_deck(deck_file(base), {"run.seed=\"x\""}, deck_families()), Catch::Contains("seed must be an integer"));
  CHECK_THROWS_WITH(read_deck(deck_file(base), {"model.dim=0"}, deck_families()), Catch::Contains("dim = 0 must be > 0"));
  CHECK_THROWS_WITH(read_deck(deck_file(base), {"model.n_heads=7"}, deck_families()), Catch::Contains("does not divide dim = 256"));
  CHECK_THROWS_WITH(read_deck(deck_file(base), {"model.n_kv_heads=3"}, deck_families()),
                    Catch::Contains("n_kv_heads = 3 does not divide n_heads = 16"));
  CHECK_THROWS_WITH(read_deck(deck_file(base), {"model.family=\"gpt2\""}, deck_families()), Catch::Contains("valid: llama3"));
  CHECK_THROWS_AS(read_deck(deck_file("[run\nseed=1"), {}, deck_families()), InputError);
}

TEST_CASE("malformed TOML reports line and column", "[deck]") {
  std::string const path = deck_file("[run]\nseed = = 3\n");
  CHECK_THROWS_WITH(read_deck(path, {}, deck_families()), Catch::StartsWith(path + ":2:"));
}

TEST_CASE("fqn_match: '*' stays inside one component, '**' crosses", "[deck]") {
  CHECK(fqn_match("layers.*.attention.wo.weight", "layers.12.attention.wo.weight"));
  CHECK_FALSE(fqn_match("layers.*.weight", "layers.12.attention.wo.weight"));
  CHECK(fqn_match("layers.**.weight", "layers.12.attention.wo.weight"));
  CHECK(fqn_match("layers.?.ffn_norm.weight", "layers.3.ffn_norm.weight"));
  CHECK_FALSE(fqn_match("layers.?.ffn_norm.weight", "layers.13.ffn_norm.weight"));
  CHECK(fqn_match("norm.weight", "norm.weight"));
  CHECK_FALSE(fqn_match("norm.weight", "layers.0.ffn_norm.weight"));
}

TEST_CASE("init overrides reach the parameters they match; unmatched patterns are errors", "[deck]") {
  Deck d = read_deck(deck_file(base + "[init.overrides]\n\"layers.*.attention.wo.weight\" = { kind = \"normal\", std = 0.5 }\n"
                                      "\"norm.weight\" = \"zeros\"\n"),
                     {}, deck_families());
  Mesh const mesh = Mesh::resolve(d.mesh, 1);
  BuildContext ctx;
  ctx.mesh = mesh;
  ctx.allocate = false;
  ctx.overrides = &d.overrides;
  auto model = find_family(d.family).model_config(*d.model, mesh)->build_model(ctx);
  d.overrides.expect_all_matched();
  CHECK(d.overrides.init[0].matches == 6);  // one wo per layer
  CHECK(d.overrides.init[1].matches == 1);

  Deck bad = read_deck(deck_file(base + "[init.overrides]\n\"layers.*.attention.wz.weight\" = \"zeros\"\n"), {}, deck_families());
  ctx.overrides = &bad.overrides;
  auto model2 = find_family(bad.family).model_config(*bad.model, mesh)->build_model(ctx);
  CHECK_THROWS_WITH(bad.overrides.expect_all_matched(), Catch::Contains("'layers.*.attention.wz.weight' matches no parameter"));
}

TEST_CASE("init override fields are checked per kind", "[deck]") {
  auto with = [&](std::string const& spec) {
    return read_deck(deck_file(base + "[init.overrides]\n\"norm.weight\" = " + spec + "\n"), {}, deck_families());
  };
  CHECK_THROWS_WITH(with("{ kind = \"normal\", std = -1.0 }"), Catch::Contains("std must be >= 0"));
  CHECK_THROWS_WITH(with("{ kind = \"trunc_normal\", std = 1.0, a = 1.0, b = -1.0 }"), Catch::Contains("a < b"));
  CHECK_THROWS_WITH(with("{ kind = \"uniform\", std = 1.0 }"), Catch::Contains("unknown key 'std'"));
  CHECK_THROWS_WITH(with("\"gaussian\""), Catch::Contains("unknown init kind 'gaussian'"));
  CHECK(with("{ kind = \"uniform\" }").overrides.init[0].spec.b == 1.0);
}

TEST_CASE("the resolved deck round-trips through --print-config's TOML", "[deck]") {
  Deck const d = read_deck(deck_file(base), {"model.n_layers=3", "run.dtype=bfloat16"}, deck_families());
  std::string const text = resolved_deck_toml(d);
  Deck const again = read_deck(deck_file(text), {}, deck_families());
  CHECK(again.model_args<Llama3Args>().n_layers == 3);
  CHECK(again.run.dtype == DType::bfloat16);
  CHECK(again.model_args<Llama3Args>().dim == d.model_args<Llama3Args>().dim);
  CHECK(again.model_args<Llama3Args>().rope_theta == d.model_args<Llama3Args>().rope_theta);
}
