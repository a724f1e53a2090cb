// The Module/Config protocol: build lifecycle, build arguments, missing
// initializers, init order, tying.
#include "titan/core/errors.hpp"
#include "titan/modules/attention.hpp"
#include "titan/modules/decoder.hpp"
#include "titan/modules/feed_forward.hpp"

#include <catch2/catch.hpp>

#include <type_traits>

using namespace titan;

namespace {

BuildContext ctx_for(std::string prefix = "") {
  BuildContext c;
  c.mesh = Mesh::resolve(MeshRequest{{1, 1, 1}}, 1);
  c.prefix = std::move(prefix);
  return c;
}

Linear::Config linear_config(InitSpec init = InitSpec::zeros()) {
  Linear::Config c;
  c.param_init["weight"] = init;
  c.param_init["bias"] = InitSpec::ones();
  c.sharding["weight"] = replicated();
  c.sharding["bias"] = replicated();
  return c;
}

}  // namespace

// A module type that forgot its buffer init cannot be instantiated.
static_assert(std::is_abstract<Module>::value, "Module must keep init_own_buffers pure virtual");

TEST_CASE("Linear builds [out, in] weight and optional bias from build arguments", "[module]") {
  Linear::Config c = linear_config();
  c.bias = true;
  auto lin = c.build(ctx_for("proj."), {{"in_features", 3}, {"out_features", 5}});
  auto params = lin->parameters();
  REQUIRE(params.size() == 2);
  CHECK(params[0]->fqn() == "proj.weight");
  CHECK(params[0]->shape() == Shape{5, 3});
  CHECK(params[1]->fqn() == "proj.bias");
  CHECK(params[1]->shape() == Shape{5});
  CHECK(lin->fqn() == "proj");
}

TEST_CASE("a build argument that duplicates a Config field is an error", "[module]") {
  Linear::Config c = linear_config();
  c.in_features = 3;
  CHECK_THROWS_WITH(c.build(ctx_for("proj."), {{"in_features", 3}, {"out_features", 5}}),
                    Catch::Contains("duplicates the Config field in_features"));
  // Set in the Config only: fine.
  CHECK(c.build(ctx_for("proj."), {{"out_features", 5}})->in_features() == 3);
  // Neither: an error too.
  Linear::Config empty = linear_config();
  CHECK_THROWS_WITH(empty.build(ctx_for("p."), {{"out_features", 5}}), Catch::Contains("'in_features' is neither"));
  // An argument the Config does not know.
  CHECK_THROWS_WITH(linear_config().build(ctx_for("p."), {{"in_features", 1}, {"out_features", 1}, {"dim", 2}}),
                    Catch::Contains("unknown build argument 'dim'"));
}

TEST_CASE("a parameter without an initializer is an error naming its FQN", "[module]") {
  RMSNorm::Config c;
  c.sharding["weight"] = replicated();
  auto norm = c.build(ctx_for("layers.2.ffn_norm."), {{"normalized_shape", 8}});
  InitContext ictx;
  CHECK_THROWS_WITH(norm->init_states(ictx), Catch::Contains("layers.2.ffn_norm.weight") &&
                                                 Catch::Contains("has no initializer"));
}

TEST_CASE("a parameter without placements is an error naming its FQN", "[module]") {
  RMSNorm::Config c;
  c.param_init["weight"] = InitSpec::ones();
  CHECK_THROWS_WITH(c.build(ctx_for("norm."), {{"normalized_shape", 8}}),
                    Catch::Contains("norm.weight") && Catch::Contains("no placements"));
}

TEST_CASE("init_states visits children first, in registration order, then own params", "[module]") {
  Attention::Config attention;
  FeedForward::Config feed_forward;
  attention.n_heads = 2;
  for (Linear::Config* l : {&attention.wq, &attention.wk, &attention.wv, &attention.wo, &feed_forward.w1,
                            &feed_forward.w2, &feed_forward.w3})
    *l = linear_config();
  RMSNorm::Config norm;
  norm.param_init["weight"] = InitSpec::ones();
  norm.sharding["weight"] = replicated();
  feed_forward.hidden_dim = 12;
  TransformerBlock::Config b;
  b.add("attention", attention);
  b.add("feed_forward", feed_forward);
  b.add("attention_norm", norm);
  b.add("ffn_norm", norm);
  auto block = b.build(ctx_for("layers.0."), {{"dim", 8}});
  std::vector<std::string> order;
  InitContext ictx;
  ictx.after_parameter = [&](Parameter const& p) { order.push_back(p.fqn()); };
  block->init_states(ictx);
  std::vector<std::string> const expect = {
      "layers.0.attention.wq.weight",    "layers.0.attention.wk.weight",    "layers.0.attention.wv.weight",
      "layers.0.attention.wo.weight",    "layers.0.feed_forward.w1.weight", "layers.0.feed_forward.w2.weight",
      "layers.0.feed_forward.w3.weight", "layers.0.attention_norm.weight",  "layers.0.ffn_norm.weight"};
  CHECK(order == expect);
  CHECK(block->part<FeedForward>("feed_forward").hidden_dim() == 12);
  CHECK(block->part<Attention>("attention").head_dim() == 4);
  CHECK_THROWS_WITH(block->part<Attention>("feed_forward"), Catch::Contains("no part 'feed_forward'"));
}

TEST_CASE("a dry-run build allocates nothing", "[module]") {
  BuildContext c = ctx_for("p.");
  c.allocate = false;
  auto lin = linear_config().build(c, {{"in_features", 1000}, {"out_features", 1000}});
  CHECK_FALSE(lin->weight()->allocated());
  CHECK(lin->weight()->allocated_bytes() == 0);
  CHECK(lin->weight()->local_bytes() == 4 * 1000 * 1000);
}

TEST_CASE("a tied embedding shares the output weight and must be 'skip'", "[module]") {
  Linear::Config out = linear_config(InitSpec::normal(0, 1));
  auto head = out.build(ctx_for("output."), {{"in_features", 4}, {"out_features", 10}});
  Embedding::Config e;
  e.sharding["weight"] = replicated();
  e.param_init["weight"] = InitSpec::normal(0, 1);
  CHECK_THROWS_WITH(e.build(ctx_for("tok_embeddings."), {{"num_embeddings", 10}, {"embedding_dim", 4}}, head->weight()),
                    Catch::Contains("must be 'skip'"));
  e.param_init["weight"] = InitSpec::skip();
  auto emb = e.build(ctx_for("tok_embeddings."), {{"num_embeddings", 10}, {"embedding_dim", 4}}, head->weight());
  CHECK(emb->weight() == head->weight());
  CHECK(head->weight()->aliases() == std::vector<std::string>{"tok_embeddings.weight"});
}
