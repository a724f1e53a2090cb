// Flux flavors: counts, FQNs, shapes, init rules and placements against
// model_families.md 4.6 and 5.3/5.5, the expected values written out here
// from the spec's table (nothing below calls the code under test for them).
#include "titan/config/deck.hpp"
#include "titan/core/errors.hpp"
#include "titan/models/flux/flux_family.hpp"
#include "titan/models/registry.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <unistd.h>

using namespace titan;

namespace {

// The spec's table: hidden h, heads, m (= int(h * mlp_ratio), as the table
// prints it), double blocks, single blocks. in_ch 64, out_ch 64, vec_in 768,
// context_in 4096, patch 1 and qkv_bias True in every flavor.
struct Row {
  char const* flavor;
  std::int64_t h, heads, m, double_blocks, single_blocks;
};
Row const rows[] = {{"flux-debug", 1536, 12, 6144, 2, 2},
                    {"flux-dev", 3072, 24, 12288, 19, 38},
                    {"flux-schnell", 3072, 24, 12288, 19, 38}};

// Every parameter of the spec's module tree, in registration order, with
// its shape and initializer: ("x", {}) = xavier (bounds from the shape),
// "n" = N(0, 0.02), "0" = zeros, "1" = ones.
struct Expected {
  std::string fqn;
  Shape shape;
  char rule;
};

std::vector<Expected> spec_tree(Row const& r) {
  std::int64_t const h = r.h, m = r.m, hd = r.h / r.heads;
  std::vector<Expected> t;
  auto linear = [&](std::string const& name, std::int64_t out, std::int64_t in, char rule) {
    t.push_back({name + ".weight", {out, in}, rule});
    t.push_back({name + ".bias", {out}, '0'});
  };
  linear("img_in", h, 64, 'x');
  linear("time_in.in_layer", h, 256, 'n');
  linear("time_in.out_layer", h, h, 'n');
  linear("vector_in.in_layer", h, 768, 'n');
  linear("vector_in.out_layer", h, h, 'n');
  linear("txt_in", h, 4096, 'x');
  for (std::int64_t b = 0; b < r.double_blocks; ++b) {
    std::string const p = "double_blocks." + std::to_string(b) + ".";
    for (std::string s : {"img", "txt"}) {
      linear(p + s + "_mod.lin", 6 * h, h, '0');
      linear(p + s + "_attn.qkv", 3 * h, h, 'x');
      t.push_back({p + s + "_attn.norm.query_norm.weight", {hd}, '1'});
      t.push_back({p + s + "_attn.norm.key_norm.weight", {hd}, '1'});
      linear(p + s + "_attn.proj", h, h, 'x');
      linear(p + s + "_mlp.0", m, h, 'x');
      linear(p + s + "_mlp.2", h, m, 'x');
    }
  }
  for (std::int64_t b = 0; b < r.single_blocks; ++b) {
    std::string const p = "single_blocks." + std::to_string(b) + ".";
    linear(p + "linear1", 3 * h + m, h, 'x');
    linear(p + "linear2", h, h + m, 'x');
    t.push_back({p + "norm.query_norm.weight", {hd}, '1'});
    t.push_back({p + "norm.key_norm.weight", {hd}, '1'});
    linear(p + "modulation.lin", 3 * h, h, '0');
  }
  linear("final_layer.linear", 1 * 1 * 64, h, '0');
  linear("final_layer.adaLN_modulation.1", 2 * h, h, '0');
  return t;
}

// The count from the spec's shapes, as one closed formula.
std::int64_t spec_count(Row const& r) {
  std::int64_t const h = r.h, m = r.m, hd = r.h / r.heads;
  std::int64_t const embedders = (64 * h + h) + (256 * h + h) + (h * h + h) + (768 * h + h) + (h * h + h) + (4096 * h + h);
  std::int64_t const stream = (6 * h * h + 6 * h) + (3 * h * h + 3 * h) + 2 * hd + (h * h + h) + (m * h + m) + (h * m + h);
  std::int64_t const single = ((3 * h + m) * h + 3 * h + m) + (h * (h + m) + h) + 2 * hd + (3 * h * h + 3 * h);
  std::int64_t const last = (64 * h + 64) + (2 * h * h + 2 * h);
  return embedders + r.double_blocks * 2 * stream + r.single_blocks * single + last;
}

std::unique_ptr<Module> dry_build(FluxArgs const& a, int dp = 1) {
  BuildContext ctx;
  ctx.mesh = Mesh::resolve(MeshRequest{{dp, 1, 1}}, dp);
  ctx.allocate = false;
  return flux_config(a).build_model(ctx);
}

// The initializer the built module tree resolved for an FQN.
InitSpec const* init_of(Module const& m, std::string const& fqn) {
  std::string const prefix = m.fqn().empty() ? "" : m.fqn() + ".";
  if (fqn.compare(0, prefix.size(), prefix) == 0 && fqn.find('.', prefix.size()) == std::string::npos)
    return m.param_init(fqn.substr(prefix.size()));
  for (auto const& [name, child] : m.children())
    if (InitSpec const* s = init_of(*child, fqn)) return s;
  return nullptr;
}

std::string deck_file(std::string const& text) {
  static int n = 0;
  std::string const path = "/tmp/titan_test_flux_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".toml";
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("flux: every flavor's parameter count equals the count from the spec's shapes", "[flux]") {
  for (Row const& r : rows) {
    auto model = dry_build(flux_flavor(r.flavor));
    std::int64_t total = 0;
    for (auto const& p : model->parameters()) total += p->numel();
    INFO(r.flavor);
    CHECK(total == spec_count(r));
    std::int64_t listed = 0;
    for (auto const& e : spec_tree(r)) listed += e.shape.size() == 1 ? e.shape[0] : e.shape[0] * e.shape[1];
    CHECK(listed == spec_count(r));  // the two readings of the spec agree
  }
  // Figures: flux-debug 258,286,144; flux-dev = flux-schnell 11,891,178,560,
  // which is FLUX.1-dev's published 11,901,408,320 less guidance_in
  // (an MLPEmbedder 256 -> 3072: 256*3072 + 3072 + 3072*3072 + 3072).
  CHECK(spec_count(rows[0]) == 258286144LL);
  CHECK(spec_count(rows[1]) == 11891178560LL);
  CHECK(spec_count(rows[1]) + (256 * 3072 + 3072 + 3072 * 3072 + 3072) == 11901408320LL);
  CHECK(spec_count(rows[2]) == spec_count(rows[1]));
}

TEST_CASE("flux: FQNs, shapes and registration order are the spec's", "[flux]") {
  for (Row const& r : rows) {
    auto model = dry_build(flux_flavor(r.flavor));
    std::vector<ParameterPtr> const params = model->parameters();
    std::vector<Expected> const want = spec_tree(r);
    INFO(r.flavor);
    REQUIRE(params.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      INFO(want[i].fqn);
      CHECK(params[i]->fqn() == want[i].fqn);
      CHECK(params[i]->shape() == want[i].shape);
    }
    CHECK(model->buffers().empty());  // EmbedND computes RoPE on the fly
  }
}

TEST_CASE("flux: init rules (xavier bounds from fan_in/fan_out, N(0,0.02), zeros, ones)", "[flux]") {
  Row const& r = rows[0];
  auto model = dry_build(flux_flavor(r.flavor));
  for (auto const& e : spec_tree(r)) {
    InitSpec const* s = init_of(*model, e.fqn);
    INFO(e.fqn);
    REQUIRE(s);
    switch (e.rule) {
      case 'x': {
        double const bound = std::sqrt(6.0 / static_cast<double>(e.shape[0] + e.shape[1]));  // fan_out + fan_in
        CHECK(s->kind == InitKind::uniform);
        CHECK(s->b == Approx(bound).epsilon(1e-12));
        CHECK(s->a == Approx(-bound).epsilon(1e-12));
        break;
      }
      case 'n':
        CHECK(s->kind == InitKind::normal);
        CHECK(s->mean == 0.0);
        CHECK(s->std == 0.02);
        break;
      case '0': CHECK(s->kind == InitKind::zeros); break;
      case '1': CHECK(s->kind == InitKind::ones); break;
    }
  }
  // Two bounds by hand: img_in [1536, 64] -> sqrt(6/1600); txt_in [1536, 4096] -> sqrt(6/5632).
  CHECK(init_of(*model, "img_in.weight")->b == Approx(0.0612372436));
  CHECK(init_of(*model, "txt_in.weight")->b == Approx(0.0326396).epsilon(1e-5));
}

TEST_CASE("flux: every parameter is Shard(0) on dp_shard and Replicate on ep and tp", "[flux]") {
  auto model = dry_build(flux_flavor("flux-debug"), 3);
  for (auto const& p : model->parameters()) {
    INFO(p->fqn());
    CHECK(p->placements()[dp_shard].describe() == "Shard(0)");
    CHECK(p->placements()[ep].describe() == "Replicate");
    CHECK(p->placements()[tp].describe() == "Replicate");
  }
}

TEST_CASE("flux: tp > 1 and ep > 1 are refused naming the sizes", "[flux]") {
  Family const& f = find_family("flux");
  FluxArgs const a = flux_flavor("flux-debug");
  CHECK_THROWS_WITH(f.model_config(a, Mesh::resolve(MeshRequest{{1, 1, 2}}, 2)), Catch::Contains("[mesh] tp = 2"));
  CHECK_THROWS_WITH(f.model_config(a, Mesh::resolve(MeshRequest{{1, 2, 1}}, 2)), Catch::Contains("[mesh] ep = 2"));
  CHECK(f.activated_params(a, 12345) == 12345);  // dense
}

TEST_CASE("flux: flavors, deck keys, axes_dim as an integer list", "[flux]") {
  CHECK_THROWS_WITH(flux_flavor("flux-pro"), Catch::Contains("flux-debug, flux-dev, flux-schnell"));
  std::string const base = "[model]\nfamily = \"flux\"\nflavor = \"flux-debug\"\n";
  Deck d = read_deck(deck_file(base + "hidden_size = 768\nnum_heads = 6\naxes_dim = [32, 48, 48]\nqkv_bias = false\n"),
                     {}, deck_families());
  auto const& a = d.model_args<FluxArgs>();
  CHECK(a.axes_dim == std::vector<std::int64_t>{32, 48, 48});
  CHECK(a.head_dim() == 128);
  CHECK(a.mlp_hidden_dim() == 3072);
  CHECK(!a.qkv_bias);
  // qkv_bias = false drops exactly the 2 * 2 qkv biases [3h] of the double blocks.
  auto count = [](FluxArgs const& x) {
    std::int64_t n = 0;
    for (auto const& p : dry_build(x)->parameters()) n += p->numel();
    return n;
  };
  FluxArgs with_bias = a;
  with_bias.qkv_bias = true;
  CHECK(count(with_bias) - count(a) == 2 * 2 * 3 * 768);
  // --print-config shows the list and it reads back.
  std::string const printed = resolved_deck_toml(d);
  CHECK_THAT(printed, Catch::Contains("axes_dim = [ 32, 48, 48 ]"));
  CHECK_THROWS_WITH(read_deck(deck_file(base + "axes_dim = []\n"), {}, deck_families()),
                    Catch::Contains("axes_dim must have 1 to 64 entries (got 0)"));
  CHECK_THROWS_WITH(read_deck(deck_file(base + "axes_dim = [0, 64, 64]\n"), {}, deck_families()),
                    Catch::Contains("every entry must be > 0"));
  CHECK_THROWS_WITH(read_deck(deck_file(base + "axes_dim = 128\n"), {}, deck_families()),
                    Catch::Contains("axes_dim must be an array of integers"));
  CHECK_THROWS_WITH(read_deck(deck_file(base + "mlp_ratio = 0.0001\n"), {}, deck_families()),
                    Catch::Contains("the MLP width int(hidden_size * mlp_ratio) is 0"));
}

TEST_CASE("flux: children in torchtitan's registration order, parameter-free ones included", "[flux]") {
  auto model = dry_build(flux_flavor("flux-debug"));
  auto names = [](Module const& m) {
    std::vector<std::string> n;
    for (auto const& [name, child] : m.children()) n.push_back(name);
    return n;
  };
  auto child = [](Module const& m, std::string const& name) -> Module const& {
    for (auto const& [n, c] : m.children())
      if (n == name) return *c;
    FAIL("no child " << name << " under '" << m.fqn() << "'");  // throws
    return m;
  };
  using V = std::vector<std::string>;
  CHECK(names(*model) == V{"pe_embedder", "img_in", "time_in", "vector_in", "txt_in", "double_blocks", "single_blocks",
                           "final_layer"});
  CHECK(names(child(*model, "time_in")) == V{"in_layer", "silu", "out_layer"});
  Module const& d = child(child(*model, "double_blocks"), "0");
  CHECK(names(d) == V{"img_mod", "img_norm1", "img_attn", "img_norm2", "img_mlp", "txt_mod", "txt_norm1", "txt_attn",
                      "txt_norm2", "txt_mlp"});
  CHECK(names(child(d, "img_attn")) == V{"qkv", "norm", "proj"});
  CHECK(names(child(child(d, "img_attn"), "norm")) == V{"query_norm", "key_norm"});
  CHECK(names(child(d, "txt_mlp")) == V{"0", "1", "2"});
  CHECK(std::string(child(child(d, "txt_mlp"), "1").type_name()) == "GELU");
  CHECK(std::string(child(d, "img_norm1").type_name()) == "LayerNorm");
  CHECK(child(d, "img_norm1").parameters().empty());  // no affine
  Module const& s = child(child(*model, "single_blocks"), "1");
  CHECK(names(s) == V{"linear1", "linear2", "norm", "pre_norm", "mlp_act", "modulation"});
  Module const& f = child(*model, "final_layer");
  CHECK(names(f) == V{"norm_final", "linear", "adaLN_modulation"});
  CHECK(names(child(f, "adaLN_modulation")) == V{"0", "1"});
  CHECK(std::string(child(child(f, "adaLN_modulation"), "0").type_name()) == "SiLU");
}
