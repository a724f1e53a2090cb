// DeepSeek-V3 and the MLA module: names, shapes, registration order, init
// rules, placements, the softmax scale and the deck checks, against the
// spec's facts (4.4, 5.3) written out here.
#include "titan/core/errors.hpp"
#include "titan/models/common/placements.hpp"
#include "titan/models/deepseek_v3/deepseek_v3_family.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>

using namespace titan;

namespace {

Mesh mesh_of(int dp, int e, int t) { return Mesh::resolve(MeshRequest{{dp, e, t}}, dp * e * t); }

std::unique_ptr<Decoder> dry_build(Decoder::Config const& c, Mesh const& mesh) {
  BuildContext ctx;
  ctx.mesh = mesh;
  ctx.allocate = false;
  return c.build(ctx);
}

std::vector<std::string> names_under(Module const& m, std::string const& prefix) {
  std::vector<std::string> out;
  for (auto const& p : m.parameters())
    if (p->fqn().rfind(prefix, 0) == 0) out.push_back(p->fqn().substr(prefix.size()));
  return out;
}

std::map<std::string, ParameterPtr> by_name(Module const& m) {
  std::map<std::string, ParameterPtr> out;
  for (auto const& p : m.parameters()) out[p->fqn()] = p;
  return out;
}

std::string validate_message(DeepSeekV3Args const& a) {
  try {
    a.validate([](std::string const& key) { return "deck: [model] (" + key + ")"; });
  } catch (InputError const& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("DeepSeek-V3 debugmodel: MLA without low-rank q, layer 0 dense, MoE with 2 shared experts", "[deepseek_v3]") {
  DeepSeekV3Args const a = deepseek_v3_flavor("debugmodel");
  Decoder::Config const c = deepseek_v3_config(a, mesh_of(1, 1, 1));
  auto model = dry_build(c, mesh_of(1, 1, 1));
  auto const p = by_name(*model);
  // Spec 4.4: H = 16, qk 128 + 64, v 128, kv_lora 512, D = 256.
  CHECK(p.at("layers.0.attention.wq.weight")->shape() == Shape{16 * 192, 256});
  CHECK(p.at("layers.0.attention.wkv_a.weight")->shape() == Shape{512 + 64, 256});
  CHECK(p.at("layers.0.attention.kv_norm.weight")->shape() == Shape{512});
  CHECK(p.at("layers.0.attention.wkv_b.weight")->shape() == Shape{16 * 256, 512});
  CHECK(p.at("layers.0.attention.wo.weight")->shape() == Shape{256, 16 * 128});
  CHECK(p.count("layers.0.attention.wq_a.weight") == 0);
  CHECK(p.count("layers.0.attention.q_norm.weight") == 0);
  CHECK(p.at("layers.0.feed_forward.w1.weight")->shape() == Shape{1024, 256});
  CHECK(p.count("layers.0.moe.experts.w1") == 0);
  CHECK(p.count("layers.1.feed_forward.w1.weight") == 0);
  CHECK(p.at("layers.1.moe.experts.w1")->shape() == Shape{8, 256, 256});
  CHECK(p.at("layers.1.moe.experts.w2")->shape() == Shape{8, 256, 256});
  CHECK(p.at("layers.1.moe.router.gate.weight")->shape() == Shape{8, 256});
  CHECK(p.at("layers.1.moe.shared_experts.w1.weight")->shape() == Shape{512, 256});
  CHECK(p.at("layers.1.moe.shared_experts.w2.weight")->shape() == Shape{256, 512});
  CHECK(p.count("tok_embeddings.weight") == 1);  // untied
  // Registration (= init) order: the block's attention, attention_norm,
  // ffn_norm, then moe | feed_forward; MLA's wq, wkv_a, kv_norm, wkv_b, wo.
  CHECK(names_under(*model, "layers.1.") ==
        std::vector<std::string>{"attention.wq.weight", "attention.wkv_a.weight", "attention.kv_norm.weight",
                                 "attention.wkv_b.weight", "attention.wo.weight", "attention_norm.weight",
                                 "ffn_norm.weight", "moe.experts.w1", "moe.experts.w2", "moe.experts.w3",
                                 "moe.router.gate.weight", "moe.shared_experts.w1.weight",
                                 "moe.shared_experts.w2.weight", "moe.shared_experts.w3.weight"});
  CHECK(names_under(*model, "layers.0.").back() == "feed_forward.w3.weight");
  std::vector<std::string> buffers;
  for (auto const& b : model->buffers()) buffers.push_back(b->fqn());
  CHECK(buffers.front() == "freqs_cis");
  CHECK(std::count(buffers.begin(), buffers.end(), "layers.0.moe.expert_bias") == 0);
  CHECK(std::count(buffers.begin(), buffers.end(), "layers.5.moe.expert_bias") == 1);
  // One RoPE table over the rotary part (64), YaRN 40 / 32 / 1 / 4096, theta 1e4.
  CHECK(model->rope().dim == 64);
  CHECK(model->rope().scaling == "yarn");
  CHECK(model->rope().rope_factor == 40);
  CHECK(model->rope().beta_fast == 32);
  CHECK(model->rope().beta_slow == 1);
  CHECK(model->rope().original_seq_len == 4096);
  CHECK(model->rope().truncate);
  CHECK(model->rope().theta == 10000);
  CHECK(model->rope().max_seq_len == 2048);
  // Router: softmax, top-3, no renormalization, scale 1, no groups.
  auto const& moe = c.layers[1].part<MoE::Config>("moe");
  CHECK(moe.router.score_func == "softmax");
  CHECK(moe.router.top_k == 3);
  CHECK_FALSE(moe.router.route_norm);
  CHECK_FALSE(moe.router.num_expert_groups.has_value());
  CHECK(c.layers[1].part<RMSNorm::Config>("attention_norm").eps == 1e-5);
}

TEST_CASE("DeepSeek-V3 671B: low-rank q, 3 dense layers, node-limited sigmoid routing", "[deepseek_v3]") {
  DeepSeekV3Args const a = deepseek_v3_flavor("671B");
  Decoder::Config const c = deepseek_v3_config(a, mesh_of(1, 1, 1));
  auto model = dry_build(c, mesh_of(1, 1, 1));
  auto const p = by_name(*model);
  CHECK(p.count("layers.0.attention.wq.weight") == 0);
  CHECK(p.at("layers.0.attention.wq_a.weight")->shape() == Shape{1536, 7168});
  CHECK(p.at("layers.0.attention.q_norm.weight")->shape() == Shape{1536});
  CHECK(p.at("layers.0.attention.wq_b.weight")->shape() == Shape{128 * 192, 1536});
  CHECK(p.at("layers.0.attention.wkv_b.weight")->shape() == Shape{128 * 256, 512});
  CHECK(p.at("layers.60.attention.wo.weight")->shape() == Shape{7168, 128 * 128});
  CHECK(p.at("layers.2.feed_forward.w2.weight")->shape() == Shape{7168, 18432});
  CHECK(p.at("layers.3.moe.experts.w3")->shape() == Shape{256, 2048, 7168});
  CHECK(p.at("layers.3.moe.shared_experts.w1.weight")->shape() == Shape{2048, 7168});
  CHECK(p.at("output.weight")->shape() == Shape{129280, 7168});
  CHECK(names_under(*model, "layers.3.attention.") ==
        std::vector<std::string>{"wq_a.weight", "q_norm.weight", "wq_b.weight", "wkv_a.weight", "kv_norm.weight",
                                 "wkv_b.weight", "wo.weight"});
  auto const& moe = c.layers[3].part<MoE::Config>("moe");
  CHECK(moe.router.score_func == "sigmoid");
  CHECK(moe.router.top_k == 8);
  CHECK(moe.router.route_norm);
  CHECK(moe.router.route_scale == 2.5);
  CHECK(moe.router.num_expert_groups == 8);
  CHECK(moe.router.num_limited_groups == 4);
  CHECK(model->rope().max_seq_len == 8192);
  Decoder::Config const c236 = deepseek_v3_config(deepseek_v3_flavor("236B"), mesh_of(1, 1, 1));
  auto const& r236 = c236.layers[1].part<MoE::Config>("moe");  // the config must outlive the reference
  CHECK(r236.router.num_expert_groups == 8);
  CHECK(r236.router.num_limited_groups == 3);
  CHECK(r236.router.route_scale == 16.0);
  CHECK(r236.shared_experts->hidden_dim == 3072);
  CHECK_THROWS_WITH(deepseek_v3_flavor("7B"), Catch::Contains("debugmodel, 16B, 236B, 671B"));
}

TEST_CASE("DeepSeek-V3 init rules (spec 4.4)", "[deepseek_v3]") {
  Decoder::Config const c = deepseek_v3_config(deepseek_v3_flavor("671B"), mesh_of(1, 1, 1));
  auto tn = [](InitSpec const& s, double std, double bound) {
    return s.kind == InitKind::trunc_normal && s.mean == 0 && std::fabs(s.std - std) <= 1e-15 && s.a == -bound &&
           s.b == bound;
  };
  for (int i : {0, 3, 60}) {
    INFO("layer " << i);
    double const sigma = 0.02 / std::sqrt(2.0 * (i + 1));
    auto const& attn = c.layers[i].part<MLAttention::Config>("attention");
    for (Linear::Config const* l : {&attn.wq_a, &attn.wq_b, &attn.wkv_a, &attn.wkv_b})
      CHECK(tn(l->param_init.at("weight"), 0.02, 2.0));
    CHECK(tn(attn.wo.param_init.at("weight"), sigma, 2.0));
    CHECK(attn.q_norm.param_init.at("weight").kind == InitKind::ones);
    CHECK(attn.kv_norm.param_init.at("weight").kind == InitKind::ones);
    if (i < 3) {
      auto const& f = c.layers[i].part<FeedForward::Config>("feed_forward");
      CHECK(tn(f.w1.param_init.at("weight"), 0.02, 2.0));
      CHECK(tn(f.w2.param_init.at("weight"), sigma, 2.0));
      CHECK(tn(f.w3.param_init.at("weight"), sigma, 2.0));
    } else {
      auto const& m = c.layers[i].part<MoE::Config>("moe");
      CHECK(tn(m.router.gate.param_init.at("weight"), sigma, 2.0));
      CHECK(tn(m.experts->param_init.at("w1"), 0.02, 2.0));
      CHECK(tn(m.experts->param_init.at("w2"), sigma, 2.0));
      CHECK(tn(m.experts->param_init.at("w3"), sigma, 2.0));
      CHECK(tn(m.shared_experts->w1.param_init.at("weight"), 0.02, 2.0));
      CHECK(tn(m.shared_experts->w2.param_init.at("weight"), sigma, 2.0));
    }
  }
  double const s = 1.0 / std::sqrt(7168.0);  // 0.0118114 (spec 2)
  CHECK(s == Approx(0.0118114).epsilon(1e-5));
  CHECK(tn(c.output.param_init.at("weight"), s, 3 * s));
  CHECK(c.tok_embeddings.param_init.at("weight").kind == InitKind::normal);
  CHECK(c.tok_embeddings.param_init.at("weight").std == 1.0);
}

TEST_CASE("MLA placements over tp (spec 5.3) and tp dividing the heads", "[deepseek_v3][tp]") {
  Mesh const m = mesh_of(2, 1, 2);
  auto model = dry_build(deepseek_v3_config(deepseek_v3_flavor("236B"), m), m);
  auto const p = by_name(*model);
  auto tp_of = [&](std::string const& fqn) { return p.at("layers.1.attention." + fqn)->placements()[tp]; };
  CHECK(tp_of("wq_a.weight") == Placement::replicate());
  CHECK(tp_of("q_norm.weight") == Placement::replicate());
  CHECK(tp_of("wq_b.weight") == Placement::shard(0));
  CHECK(tp_of("wkv_a.weight") == Placement::replicate());
  CHECK(tp_of("kv_norm.weight") == Placement::replicate());
  CHECK(tp_of("wkv_b.weight") == Placement::shard(0));
  CHECK(tp_of("wo.weight") == Placement::shard(1));
  for (auto const& [name, param] : p) {  // every non-expert parameter: FSDP Shard(0), Replicate over ep
    INFO(name);
    if (name.find(".moe.experts.") != std::string::npos) continue;
    CHECK(param->placements()[dp_shard] == Placement::shard(0));
    CHECK(param->placements()[ep] == Placement::replicate());
  }
  auto debug = dry_build(deepseek_v3_config(deepseek_v3_flavor("debugmodel"), m), m);
  CHECK(by_name(*debug).at("layers.0.attention.wq.weight")->placements()[tp] == Placement::shard(0));
  // With tp | H a TP rank holds whole heads of wq (rows of 192).
  Box const b = local_box(Shape{16 * 192, 256}, fsdp_with_tp(Placement::shard(0)), mesh_of(1, 1, 2), {{0, 0, 1}});
  CHECK(b.offset == Shape{8 * 192, 0});
  Family const f = deepseek_v3_family();
  CHECK_THROWS_WITH(f.model_config(deepseek_v3_flavor("debugmodel"), mesh_of(1, 1, 3)),
                    Catch::Contains("[mesh] tp = 3 must divide n_heads = 16"));
  CHECK_THROWS_WITH(f.model_config(deepseek_v3_flavor("debugmodel"), mesh_of(1, 3, 1)),
                    Catch::Contains("[mesh] ep = 3 does not divide num_experts = 8"));
  DeepSeekV3Args dense = deepseek_v3_flavor("debugmodel");
  dense.n_dense_layers = dense.n_layers;
  CHECK_THROWS_WITH(f.model_config(dense, mesh_of(1, 2, 1)), Catch::Contains("has no routed experts"));
}

TEST_CASE("MLA softmax scale: (128 + 64)^-0.5 m^2, m = 0.1 mscale ln 40 + 1 (spec 4.4)", "[deepseek_v3]") {
  MLAttention::Config c;
  c.yarn_rope_factor = 40;
  c.mscale = 0.70;
  double const base = 1.0 / std::sqrt(192.0);
  CHECK(c.softmax_scale() == Approx(base * 1.25822 * 1.25822).epsilon(1e-5));
  c.mscale = 1.0;
  CHECK(c.softmax_scale() == Approx(base * 1.36889 * 1.36889).epsilon(1e-5));
  c.yarn_rope_factor = 1;  // no YaRN: no mscale
  CHECK(c.softmax_scale() == Approx(base).epsilon(1e-12));
}

TEST_CASE("DeepSeek-V3 activated parameters and deck checks", "[deepseek_v3]") {
  DeepSeekV3Args const a = deepseek_v3_flavor("debugmodel");
  // 5 MoE layers, (8 - 3) unused experts of 3 * 256 * 256 each.
  CHECK(deepseek_v3_activated_params(a, 1000000000) == 1000000000 - 5 * 5 * 3 * 256 * 256);
  CHECK(validate_message(a).empty());
  for (auto const& f : deepseek_v3_flavors()) CHECK(validate_message(deepseek_v3_flavor(f)).empty());
  DeepSeekV3Args b = a;
  b.top_k = 9;
  CHECK_THAT(validate_message(b), Catch::Contains("(top_k) top_k = 9 is more than num_experts = 8"));
  b = a;
  b.n_expert_groups = 3;
  b.n_limited_groups = 1;
  CHECK_THAT(validate_message(b), Catch::Contains("n_expert_groups = 3 does not divide num_experts = 8"));
  b.n_expert_groups = 4;
  CHECK_THAT(validate_message(b), Catch::Contains("top_k = 3 is more than the 2 experts of the n_limited_groups = 1"));
  b.n_limited_groups = 5;
  CHECK_THAT(validate_message(b), Catch::Contains("n_limited_groups = 5 is more than n_expert_groups = 4"));
  b.n_limited_groups.reset();
  CHECK_THAT(validate_message(b), Catch::Contains("come together"));
  b = a;
  b.n_dense_layers = 7;
  CHECK_THAT(validate_message(b), Catch::Contains("n_dense_layers = 7 is more than n_layers = 6"));
  b = a;
  b.qk_rope_head_dim = 63;
  CHECK_THAT(validate_message(b), Catch::Contains("must be even"));
  b = a;
  b.rope_beta_slow = 40;
  CHECK_THAT(validate_message(b), Catch::Contains("rope_beta_fast = 32 must be more than rope_beta_slow = 40"));
}
