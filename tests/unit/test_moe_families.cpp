// Qwen3, Llama4, GPT-OSS, the MoE module and expert parallelism: shapes,
// size rules, init rules and expert placements against the spec's facts
// (4.2, 4.3, 4.5, 5.3-5.5), written out here.
#include "titan/models/common/moe_rules.hpp"
#include "titan/models/common/placements.hpp"
#include "titan/models/gpt_oss/gpt_oss_family.hpp"
#include "titan/models/llama4/llama4_family.hpp"
#include "titan/models/qwen3/qwen3_family.hpp"

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

std::map<std::string, Shape> shapes_of(Module const& m) {
  std::map<std::string, Shape> out;
  for (auto const& p : m.parameters()) out[p->fqn()] = p->shape();
  return out;
}

}  // namespace

TEST_CASE("compute_moe_hidden_dim rounds last (spec 4.2)", "[moe]") {
  CHECK(moe_hidden_dim(256, 256, std::nullopt, 1, 1) == 512);  // debugmodel: 682 -> 341 -> 512
  CHECK(moe_hidden_dim(5120, 2048, 1.2, 1, 1) == 8192);        // 13653 -> 16383 -> 8191 -> 8192
  CHECK(llama4_flavor("17bx16e").ffn_hidden_dim() == 16384);
  CHECK(llama4_flavor("debugmodel").ffn_hidden_dim() == 768);
}

TEST_CASE("Qwen3 debugmodel_moe: names, shapes, buffers, init", "[qwen3]") {
  Qwen3Args const a = qwen3_flavor("debugmodel_moe");
  auto model = dry_build(qwen3_config(a, mesh_of(1, 1, 1)), mesh_of(1, 1, 1));
  auto const s = shapes_of(*model);
  CHECK(s.at("layers.7.attention.wq.weight") == Shape{16 * 128, 256});
  CHECK(s.at("layers.7.attention.wk.weight") == Shape{8 * 128, 256});
  CHECK(s.at("layers.7.attention.wo.weight") == Shape{256, 16 * 128});
  CHECK(s.at("layers.7.attention.q_norm.weight") == Shape{128});
  CHECK(s.at("layers.7.attention.k_norm.weight") == Shape{128});
  CHECK(s.at("layers.7.moe.router.gate.weight") == Shape{64, 256});
  CHECK(s.at("layers.7.moe.experts.w1") == Shape{64, 768, 256});
  CHECK(s.at("layers.7.moe.experts.w2") == Shape{64, 256, 768});
  CHECK(s.at("layers.7.moe.experts.w3") == Shape{64, 768, 256});
  CHECK(s.count("layers.7.feed_forward.w1.weight") == 0);
  CHECK(s.count("layers.0.moe.shared_experts.w1.weight") == 0);
  CHECK(s.count("tok_embeddings.weight") == 1);  // untied
  std::vector<std::string> buffers;
  for (auto const& b : model->buffers())
    if (b->fqn().rfind("layers.2.", 0) == 0) buffers.push_back(b->fqn());
  CHECK(buffers == std::vector<std::string>{"layers.2.moe.expert_bias", "layers.2.moe.tokens_per_expert"});
  CHECK(model->rope().dim == 128);
  CHECK(model->rope().scaling == "none");
  CHECK(model->rope().theta == 1e6);
  // rho = 0.02 / sqrt(2 L): the spec's values for L = 8, 48, 94.
  Decoder::Config const c = qwen3_config(a, mesh_of(1, 1, 1));
  auto const& attention = c.layers[0].part<Attention::Config>("attention");
  CHECK(attention.wo.param_init.at("weight").kind == InitKind::normal);
  CHECK(attention.wo.param_init.at("weight").std == Approx(0.005));
  CHECK(attention.q_norm->eps == 1e-6);
  auto const& moe = c.layers[0].part<MoE::Config>("moe");
  CHECK(moe.experts->param_init.at("w2").std == Approx(0.005));
  CHECK(moe.experts->param_init.at("w1").std == 0.02);
  CHECK(moe.router.top_k == 8);
  CHECK(moe.router.route_norm);
  CHECK(moe.router.score_func == "softmax");
  auto std_of = [](char const* flavor) {
    return qwen3_config(qwen3_flavor(flavor), mesh_of(1, 1, 1)).layers[0].part<Attention::Config>("attention")
        .wo.param_init.at("weight").std;
  };
  CHECK(std_of("30B-A3B") == Approx(0.00204124).epsilon(1e-5));
  CHECK(std_of("235B-A22B") == Approx(0.00145865).epsilon(1e-5));
  CHECK(std_of("8B") == 0.02);  // dense: plain N(0, 0.02)
}

TEST_CASE("Qwen3 dense tied flavors: one tensor output.weight, N(0, 0.02)", "[qwen3]") {
  for (char const* f : {"debugmodel", "0.6B", "1.7B", "4B"}) {
    Decoder::Config const c = qwen3_config(qwen3_flavor(f), mesh_of(1, 1, 1));
    INFO(f);
    CHECK(c.tie_embeddings);
    CHECK(c.tok_embeddings.param_init.at("weight").kind == InitKind::skip);
    CHECK(c.output.param_init.at("weight").kind == InitKind::normal);
    CHECK(c.output.param_init.at("weight").std == 0.02);
  }
  CHECK_FALSE(qwen3_config(qwen3_flavor("8B"), mesh_of(1, 1, 1)).tie_embeddings);
  CHECK_THROWS_WITH(qwen3_flavor("7B"), Catch::Contains("debugmodel, 0.6B, 1.7B, 4B, 8B, 14B, 32B, debugmodel_moe, "
                                                        "30B-A3B, 235B-A22B"));
}

TEST_CASE("Llama4 debugmodel: MoE on odd layers with a shared expert, NoPE on 0 and 4", "[llama4]") {
  Llama4Args const a = llama4_flavor("debugmodel");
  Decoder::Config const c = llama4_config(a, mesh_of(1, 1, 1));
  for (int i = 0; i < 6; ++i) {
    INFO(i);
    CHECK(c.layers[i].has("moe") == (i % 2 == 1));
    CHECK(c.layers[i].has("feed_forward") == (i % 2 == 0));
    CHECK(c.layers[i].part<Attention::Config>("attention").use_rope == (i != 0 && i != 4));
  }
  std::vector<std::string> names;
  for (auto const& p : c.layers[1].parts) names.push_back(p.first);
  CHECK(names == std::vector<std::string>{"attention", "moe", "attention_norm", "ffn_norm"});
  auto model = dry_build(c, mesh_of(1, 1, 1));
  auto const s = shapes_of(*model);
  CHECK(s.at("layers.1.moe.experts.w1") == Shape{8, 512, 256});
  CHECK(s.at("layers.1.moe.shared_experts.w2.weight") == Shape{256, 512});
  CHECK(s.at("layers.1.moe.router.gate.weight") == Shape{8, 256});
  CHECK(s.at("layers.0.feed_forward.w1.weight") == Shape{768, 256});
  // Registration order of the MoE: experts, router, shared_experts.
  std::vector<std::string> order;
  for (auto const& p : model->parameters())
    if (p->fqn().rfind("layers.1.moe.", 0) == 0) order.push_back(p->fqn());
  CHECK(order == std::vector<std::string>{"layers.1.moe.experts.w1", "layers.1.moe.experts.w2",
                                          "layers.1.moe.experts.w3", "layers.1.moe.router.gate.weight",
                                          "layers.1.moe.shared_experts.w1.weight",
                                          "layers.1.moe.shared_experts.w2.weight",
                                          "layers.1.moe.shared_experts.w3.weight"});
  auto const& moe = c.layers[3].part<MoE::Config>("moe");
  double const sigma3 = 0.02 / std::sqrt(8.0);
  CHECK(moe.router.gate.param_init.at("weight").std == Approx(sigma3));
  CHECK(moe.experts->param_init.at("w3").std == Approx(sigma3));
  CHECK(moe.experts->param_init.at("w1").std == 0.02);
  CHECK(moe.router.score_func == "sigmoid");
  CHECK(moe.router.top_k == 1);
  CHECK(model->rope().scaling_factor == 16);
  CHECK(model->rope().high_freq_factor == 1);
  CHECK(llama4_config(llama4_flavor("17bx128e"), mesh_of(1, 1, 1)).rope.scaling == "none");
  Decoder::Config const maverick = llama4_config(llama4_flavor("17bx128e"), mesh_of(1, 1, 1));
  CHECK(maverick.layers[0].has("feed_forward"));
  CHECK(maverick.layers[47].has("moe"));
  CHECK(llama4_config(llama4_flavor("17bx16e"), mesh_of(1, 1, 1)).layers[0].has("moe"));
}

TEST_CASE("routed experts: EP block outer, FSDP inside on dim 0, or dim 1 when dp_shard * ep > E", "[moe][ep]") {
  Shape const w1{8, 6, 4};  // E = 8
  Mesh const m = mesh_of(2, 2, 1);  // dp_shard = 2, ep = 2: dp * ep = 4 <= 8
  Placements const p = expert_placements(m, 8, 1);
  CHECK(p[ep] == Placement::shard(0));
  CHECK(p[dp_shard] == Placement::shard(0));
  CHECK(p[tp] == Placement::shard(1));
  for (int f = 0; f < 2; ++f)
    for (int e = 0; e < 2; ++e) {
      Box const b = local_box(w1, p, m, {{f, e, 0}});
      INFO("dp_shard " << f << " ep " << e);
      CHECK(b.offset == Shape{4 * e + 2 * f, 0, 0});  // EP rank e holds experts 4e..4e+3, FSDP halves inside
      CHECK(b.extent == Shape{2, 6, 4});
    }
  Mesh const ep_tp = mesh_of(1, 2, 2);  // tp splits Fm inside the EP block: no replica
  Box const b = local_box(w1, expert_placements(ep_tp, 8, 1), ep_tp, {{0, 1, 1}});
  CHECK(b.offset == Shape{4, 3, 0});
  CHECK(b.extent == Shape{4, 3, 4});
  Mesh const big = mesh_of(4, 4, 1);  // 16 > 8: FSDP moves to dim 1
  CHECK(expert_placements(big, 8, 1)[dp_shard] == Placement::shard(1));
  Mesh const tp2 = mesh_of(1, 1, 2);  // ep = 1: TP splits the Fm dimension
  CHECK(expert_placements(tp2, 8, 1)[tp] == Placement::shard(1));
  CHECK(expert_placements(tp2, 8, 2)[tp] == Placement::shard(2));
  CHECK(expert_placements(mesh_of(8, 1, 2), 8, 1)[dp_shard] == Placement::shard(1));  // 16 ranks > E
}

TEST_CASE("expert-parallel and routing checks name the numbers", "[moe][ep]") {
  CHECK_THROWS_WITH(check_expert_parallel(3, true, 64, "x"), Catch::Contains("ep = 3 does not divide num_experts = 64"));
  CHECK_THROWS_WITH(check_expert_parallel(2, false, 64, "qwen3 with moe_enabled = false"),
                    Catch::Contains("ep = 2 but qwen3 with moe_enabled = false has no routed experts"));
  CHECK_NOTHROW(check_expert_parallel(4, true, 64, "x"));
  CHECK_THROWS_WITH(check_top_k(9, 8, "[model]"), Catch::Contains("top_k = 9 is more than num_experts = 8"));
  Family const f = qwen3_family();
  CHECK_THROWS_WITH(f.model_config(qwen3_flavor("debugmodel"), mesh_of(1, 2, 1)),
                    Catch::Contains("has no routed experts"));
  CHECK_THROWS_WITH(f.model_config(qwen3_flavor("debugmodel_moe"), mesh_of(1, 1, 3)),
                    Catch::Contains("tp = 3 must divide n_heads = 16"));
}

TEST_CASE("GPT-OSS debugmodel: names, shapes, order, buffers (spec 4.5)", "[gpt_oss]") {
  GptOssArgs const a = gpt_oss_flavor("debugmodel");
  Decoder::Config const c = gpt_oss_config(a, mesh_of(1, 1, 1));
  auto model = dry_build(c, mesh_of(1, 1, 1));
  auto const s = shapes_of(*model);
  CHECK(s.size() == 3 + 4 * 17);  // root: embedding, norm, output; per layer 17 tensors
  CHECK(s.at("layers.3.attention.wq.weight") == Shape{64 * 64, 256});
  CHECK(s.at("layers.3.attention.wq.bias") == Shape{64 * 64});
  CHECK(s.at("layers.3.attention.wk.weight") == Shape{8 * 64, 256});
  CHECK(s.at("layers.3.attention.wk.bias") == Shape{8 * 64});
  CHECK(s.at("layers.3.attention.wv.bias") == Shape{8 * 64});
  CHECK(s.at("layers.3.attention.wo.weight") == Shape{256, 64 * 64});
  CHECK(s.at("layers.3.attention.wo.bias") == Shape{256});
  CHECK(s.at("layers.3.attention.sinks") == Shape{64});
  CHECK(s.at("layers.3.moe.router.gate.weight") == Shape{8, 256});
  CHECK(s.at("layers.3.moe.router.gate.bias") == Shape{8});
  CHECK(s.at("layers.3.moe.experts.mlp1_weight") == Shape{8, 2 * 2880, 256});
  CHECK(s.at("layers.3.moe.experts.mlp1_bias") == Shape{8, 2 * 2880});
  CHECK(s.at("layers.3.moe.experts.mlp2_weight") == Shape{8, 256, 2880});
  CHECK(s.at("layers.3.moe.experts.mlp2_bias") == Shape{8, 256});
  CHECK(s.count("layers.3.moe.experts.w1") == 0);
  CHECK(s.count("output.weight") == 1);
  CHECK(s.count("tok_embeddings.weight") == 1);  // untied
  std::vector<std::string> parts;
  for (auto const& p : c.layers[0].parts) parts.push_back(p.first);
  CHECK(parts == std::vector<std::string>{"attention", "attention_norm", "ffn_norm", "moe"});
  std::vector<std::string> buffers;
  for (auto const& b : model->buffers()) buffers.push_back(b->fqn());
  CHECK(buffers.front() == "freqs_cis");
  CHECK(std::count(buffers.begin(), buffers.end(), "layers.1.moe.expert_bias") == 1);
  CHECK(std::count(buffers.begin(), buffers.end(), "layers.1.moe.tokens_per_expert") == 1);
  CHECK(model->rope().dim == 64);
  CHECK(model->rope().theta == 150000.0);
  for (int i = 0; i < 4; ++i) {
    INFO(i);
    auto const& at = c.layers[i].part<Attention::Config>("attention");
    CHECK(at.sliding_window == (i % 2 == 0 ? 128 : 0));
    CHECK(at.sinks);
  }
  auto const& moe = c.layers[0].part<MoE::Config>("moe");
  CHECK(moe.router.top_k == 4);
  CHECK(moe.router.score_func == "softmax");
  CHECK(moe.router.route_norm);
  auto const* experts = dynamic_cast<GptOssExperts::Config const*>(moe.experts.get());
  REQUIRE(experts != nullptr);  // gpt-oss's own expert kind
  CHECK(experts->swiglu_limit == 7.0);
  CHECK(experts->swiglu_alpha == 1.702);
  // 64^-0.5 * (0.1 ln 32 + 1)^2, mscale 1.34657
  CHECK(a.softmax_scale() == Approx(0.125 * 1.34657359 * 1.34657359).epsilon(1e-8));
}

TEST_CASE("GPT-OSS init rules (spec 4.5): random expert biases, zero linear biases", "[gpt_oss]") {
  Decoder::Config const c = gpt_oss_config(gpt_oss_flavor("debugmodel"), mesh_of(1, 1, 1));
  for (int i : {0, 3}) {
    double const sigma = 0.02 / std::sqrt(2.0 * (i + 1));
    INFO(i);
    auto const& at = c.layers[i].part<Attention::Config>("attention");
    auto const& moe = c.layers[i].part<MoE::Config>("moe");
    for (Linear::Config const* l : {&at.wq, &at.wk, &at.wv, &at.wo, &moe.router.gate}) {
      CHECK(l->bias);
      CHECK(l->param_init.at("weight").kind == InitKind::trunc_normal);
      CHECK(l->param_init.at("weight").std == Approx(sigma));
      CHECK(l->param_init.at("weight").a == -2.0);
      CHECK(l->param_init.at("weight").b == 2.0);
      CHECK(l->param_init.at("bias").kind == InitKind::zeros);
    }
    CHECK(at.param_init.at("sinks").kind == InitKind::trunc_normal);
    CHECK(at.param_init.at("sinks").std == Approx(sigma));
    for (char const* e : {"mlp1_weight", "mlp1_bias", "mlp2_weight", "mlp2_bias"}) {
      INFO(e);
      CHECK(moe.experts->param_init.at(e).kind == InitKind::trunc_normal);
      CHECK(moe.experts->param_init.at(e).std == Approx(sigma));
    }
  }
  CHECK(c.tok_embeddings.param_init.at("weight").kind == InitKind::normal);
  CHECK(c.tok_embeddings.param_init.at("weight").std == 0.02);
  CHECK(c.output.param_init.at("weight").std == Approx(0.0625));  // 256^-0.5
  CHECK(c.output.param_init.at("weight").a == Approx(-0.1875));
  CHECK(c.norm.param_init.at("weight").kind == InitKind::ones);
  CHECK_FALSE(c.tie_embeddings);
  CHECK_THROWS_WITH(gpt_oss_flavor("7b"), Catch::Contains("debugmodel, 20b, 120b"));
}

TEST_CASE("GPT-OSS placements (spec 5.3, 5.4) and mesh checks", "[gpt_oss][ep]") {
  GptOssArgs const a = gpt_oss_flavor("debugmodel");
  Mesh const tp2 = mesh_of(1, 1, 2);
  auto model = dry_build(gpt_oss_config(a, tp2), tp2);
  std::map<std::string, Placements> pl;
  for (auto const& p : model->parameters()) pl[p->fqn()] = p->placements();
  CHECK(pl.at("layers.0.attention.sinks")[tp] == Placement::shard(0));
  CHECK(pl.at("layers.0.attention.wq.bias")[tp] == Placement::shard(0));
  CHECK(pl.at("layers.0.attention.wo.weight")[tp] == Placement::shard(1));
  CHECK(pl.at("layers.0.attention.wo.bias")[tp] == Placement::replicate());
  CHECK(pl.at("layers.0.moe.router.gate.bias")[tp] == Placement::replicate());
  CHECK(pl.at("layers.0.moe.experts.mlp1_weight")[tp] == Placement::shard(1));
  CHECK(pl.at("layers.0.moe.experts.mlp1_bias")[tp] == Placement::shard(1));
  CHECK(pl.at("layers.0.moe.experts.mlp2_weight")[tp] == Placement::shard(2));
  CHECK(pl.at("layers.0.moe.experts.mlp2_bias")[tp] == Placement::replicate());
  // tp rank 1 holds mlp1 rows [2880, 5760): an even offset, whole (gate, up) pairs.
  Box const b = local_box({8, 5760, 256}, pl.at("layers.0.moe.experts.mlp1_weight"), tp2, {{0, 0, 1}});
  CHECK(b.offset == Shape{0, 2880, 0});
  CHECK(b.extent == Shape{8, 2880, 256});
  Mesh const ep2 = mesh_of(2, 2, 1);
  auto ep_model = dry_build(gpt_oss_config(a, ep2), ep2);
  for (auto const& p : ep_model->parameters()) {
    INFO(p->fqn());
    bool const expert = p->fqn().find(".moe.experts.") != std::string::npos;
    CHECK(p->placements()[ep] == (expert ? Placement::shard(0) : Placement::replicate()));
  }
  Family const f = gpt_oss_family();
  CHECK_THROWS_WITH(f.model_config(a, mesh_of(1, 3, 1)), Catch::Contains("ep = 3 does not divide num_experts = 8"));
  CHECK_THROWS_WITH(f.model_config(a, mesh_of(1, 1, 3)), Catch::Contains("tp = 3 must divide n_heads = 64"));
  GptOssArgs odd = a;
  odd.moe_hidden_dim = 1441;
  CHECK_THROWS_WITH(f.model_config(odd, mesh_of(1, 1, 2)), Catch::Contains("chunks of 1441, an odd number"));
  CHECK_NOTHROW(f.model_config(odd, mesh_of(1, 1, 1)));
}

TEST_CASE("GPT-OSS activated parameters: total minus (E - K) experts per layer, biases included", "[gpt_oss]") {
  GptOssArgs const a = gpt_oss_flavor("20b");
  CHECK(a.params_per_expert() == 2 * 2880 * 2880 + 2 * 2880 + 2880 * 2880 + 2880);
  CHECK(gpt_oss_activated_params(a, 20914757184) == 20914757184 - 24LL * 28 * a.params_per_expert());
  CHECK(gpt_oss_flavor("120b").num_experts == 128);
  CHECK(gpt_oss_flavor("120b").n_layers == 36);
}
