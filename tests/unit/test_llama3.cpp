// Llama3 flavors: shapes, counts and init rules against the spec's facts,
// computed here independently from the spec's table.
#include "titan/models/llama3/llama3_family.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace titan;

namespace {

struct Row {
  char const* flavor;
  std::int64_t D, L, Hq, Hkv, V, F;
  bool tied;
};
// The spec's table (model_families.md 4.1): D, L, Hq, Hkv, V, F, tied.
Row const rows[] = {{"debugmodel", 256, 6, 16, 16, 2048, 768, false}, {"1B", 2048, 16, 32, 8, 128256, 8192, true},
                    {"3B", 3072, 28, 24, 8, 128256, 8192, true},      {"8B", 4096, 32, 32, 8, 128256, 14336, false},
                    {"70B", 8192, 80, 64, 8, 128256, 28672, false},   {"405B", 16384, 126, 128, 8, 128256, 53248, false}};

// Parameter count from the spec's shapes.
std::int64_t spec_count(Row const& r) {
  std::int64_t const hd = r.D / r.Hq;
  std::int64_t const attn = r.D * r.Hq * hd + 2 * r.D * r.Hkv * hd + r.Hq * hd * r.D;
  std::int64_t const ffn = 3 * r.D * r.F;
  std::int64_t const layer = attn + ffn + 2 * r.D;
  return r.L * layer + r.D + r.V * r.D * (r.tied ? 1 : 2);
}

std::unique_ptr<Decoder> dry_build(Llama3Args const& a) {
  BuildContext ctx;
  ctx.mesh = Mesh::resolve(MeshRequest{{1, 1, 1}}, 1);
  ctx.allocate = false;
  return llama3_config(a).build(ctx);
}

}  // namespace

TEST_CASE("every flavor's parameter count equals the count from the spec's shapes", "[llama3]") {
  for (Row const& r : rows) {
    auto model = dry_build(llama3_flavor(r.flavor));
    std::int64_t total = 0;
    for (auto const& p : model->parameters()) total += p->numel();
    INFO(r.flavor);
    CHECK(total == spec_count(r));
  }
  // Published sizes, as a sanity anchor: 8B has 8,030,261,248 parameters.
  CHECK(spec_count(rows[3]) == 8030261248LL);
}

TEST_CASE("shapes: wq/wk/wv/wo, w1/w2/w3 with the spec's F, embeddings, output", "[llama3]") {
  for (Row const& r : rows) {
    auto model = dry_build(llama3_flavor(r.flavor));
    std::map<std::string, Shape> shapes;
    for (auto const& p : model->parameters()) shapes[p->fqn()] = p->shape();
    std::int64_t const hd = r.D / r.Hq;
    INFO(r.flavor);
    CHECK(shapes.at("layers.0.attention.wq.weight") == Shape{r.Hq * hd, r.D});
    CHECK(shapes.at("layers.0.attention.wk.weight") == Shape{r.Hkv * hd, r.D});
    CHECK(shapes.at("layers.0.attention.wv.weight") == Shape{r.Hkv * hd, r.D});
    CHECK(shapes.at("layers.0.attention.wo.weight") == Shape{r.D, r.Hq * hd});
    CHECK(shapes.at("layers.0.feed_forward.w1.weight") == Shape{r.F, r.D});
    CHECK(shapes.at("layers.0.feed_forward.w2.weight") == Shape{r.D, r.F});
    CHECK(shapes.at("layers.0.feed_forward.w3.weight") == Shape{r.F, r.D});
    CHECK(shapes.at("output.weight") == Shape{r.V, r.D});
    CHECK(shapes.count("tok_embeddings.weight") == (r.tied ? 0u : 1u));  // tied: one tensor, named output.weight
    CHECK(shapes.at("norm.weight") == Shape{r.D});
    CHECK(model->rope().dim == hd);
    CHECK(model->rope().max_seq_len == (std::string(r.flavor) == "debugmodel" ? 2048 : 8192));
  }
}

TEST_CASE("init rules: depth-scaled std, output TN(dim^-0.5, +-3 dim^-0.5), embedding N(0,1)", "[llama3]") {
  // Spec values: sigma_0 = 0.0141421, sigma_1 = 0.01, sigma_31 = 0.0025, sigma_125 = 0.0012599.
  CHECK(depth_scaled_std(0.02, 0) == Approx(0.0141421).epsilon(1e-5));
  CHECK(depth_scaled_std(0.02, 1) == Approx(0.01).epsilon(1e-9));
  CHECK(depth_scaled_std(0.02, 31) == Approx(0.0025).epsilon(1e-9));
  CHECK(depth_scaled_std(0.02, 125) == Approx(0.0012599).epsilon(1e-4));

  Decoder::Config const c = llama3_config(llama3_flavor("8B"));
  auto const& attention31 = c.layers[31].part<Attention::Config>("attention");
  auto const& ffn31 = c.layers[31].part<FeedForward::Config>("feed_forward");
  CHECK(attention31.wo.param_init.at("weight").std == Approx(0.0025));
  CHECK(ffn31.w2.param_init.at("weight").std == Approx(0.0025));
  CHECK(ffn31.w3.param_init.at("weight").std == Approx(0.0025));
  CHECK(ffn31.w1.param_init.at("weight").std == Approx(0.02));
  CHECK(c.layers[5].part<Attention::Config>("attention").wq.param_init.at("weight").kind == InitKind::trunc_normal);
  CHECK(c.layers[5].part<Attention::Config>("attention").wq.param_init.at("weight").a == -2.0);
  // The block's parts, in torchtitan's registration order.
  std::vector<std::string> names;
  for (auto const& part : c.layers[0].parts) names.push_back(part.first);
  CHECK(names == std::vector<std::string>{"attention", "feed_forward", "attention_norm", "ffn_norm"});
  InitSpec const out = c.output.param_init.at("weight");
  CHECK(out.std == Approx(0.015625));
  CHECK(out.a == Approx(-0.046875));
  CHECK(out.b == Approx(0.046875));
  CHECK(c.tok_embeddings.param_init.at("weight").kind == InitKind::normal);
  CHECK(c.tok_embeddings.param_init.at("weight").std == 1.0);
  CHECK(llama3_config(llama3_flavor("1B")).tok_embeddings.param_init.at("weight").kind == InitKind::skip);
  CHECK(c.norm.param_init.at("weight").kind == InitKind::ones);
}

TEST_CASE("unknown flavor lists the valid ones", "[llama3]") {
  CHECK_THROWS_WITH(llama3_flavor("7B"), Catch::Contains("debugmodel, 1B, 3B, 8B, 70B, 405B"));
}
