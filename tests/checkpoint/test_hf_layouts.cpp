// Piece layouts (stored_piece), the save plan, the load plan's choices and
// config.json's text and checks, on small hand-made cases.
#include "titan/checkpoint/checkpoint_layout.hpp"
#include "titan/checkpoint/hf_config.hpp"
#include "titan/core/errors.hpp"
#include "titan/models/llama3/llama3_args.hpp"
#include "titan/models/llama3/llama3_hf.hpp"
#include "titan/models/llama4/llama4_args.hpp"
#include "titan/models/llama4/llama4_hf.hpp"

#include <catch2/catch.hpp>

using namespace titan;

namespace {
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (std::exception const& e) {
    return e.what();
  }
  return "";
}

// A checkpoint held in memory: records laid out back to back in one file.
CheckpointContents contents(std::vector<TensorRecord> records) {
  CheckpointContents c;
  c.dir = "ck";
  ParsedFile f;
  f.name = "model-00001-of-00001.safetensors";
  std::uint64_t at = 0;
  for (auto& r : records) {
    std::uint64_t n = stored_dtype_size(r.dtype);
    for (auto e : r.shape) n *= static_cast<std::uint64_t>(e);
    r.begin = at;
    r.end = at + n;
    at = r.end;
  }
  f.tensors = records;
  f.file_size = 8 + at;
  c.files.push_back(f);
  return c;
}
}  // namespace

TEST_CASE("Piece layouts must hold every element once", "[hf]") {
  Extents const shape = {4, 2};
  CHECK_NOTHROW(check_piece_layout("x", shape, stored_row_blocks({"a", "b"}, {1, 3}, shape)));
  CHECK_THAT(error_of([&] { check_piece_layout("x", shape, stored_row_blocks({"a", "b"}, {1, 2}, shape)); }),
             Catch::Contains("the pieces hold 6 of 8 elements"));
  PieceLayout overlap = stored_row_blocks({"a", "b"}, {2, 2}, shape);
  overlap[1].from[0] = 1;
  CHECK_THAT(error_of([&] { check_piece_layout("x", shape, overlap); }), Catch::Contains("overlap"));
  CHECK_THAT(error_of([&] { check_piece_layout("x", {6, 4}, stored_rope_permuted("q", {6, 4}, 2)); }),
             Catch::Contains("cannot permute the rows"));
}

TEST_CASE("Llama4's experts: w1 and w3 fill HF's gate_up_proj side by side", "[hf]") {
  Llama4Args a = llama4_flavor("debugmodel");
  auto const adapter = llama4_hf_adapter(a);
  std::vector<ModelTensorInfo> model = {{"layers.1.moe.experts.w1", {8, 512, 256}},
                                        {"layers.1.moe.experts.w2", {8, 256, 512}},
                                        {"layers.1.moe.experts.w3", {8, 512, 256}}};
  auto const layouts = model_layouts(model, adapter.get());
  std::vector<TensorSpec> const stored = save_tensors(model, layouts);
  REQUIRE(stored.size() == 2);
  CHECK(stored[0].name == "language_model.model.layers.1.feed_forward.experts.gate_up_proj");
  CHECK(stored[0].shape == Extents{8, 256, 1024});
  CHECK(stored[1].name == "language_model.model.layers.1.feed_forward.experts.down_proj");
  CHECK(stored[1].shape == Extents{8, 512, 256});
  CHECK(layouts[2][0][0].at == Extents{0, 0, 512});  // w3^T starts at column Fm
  // Without w3, gate_up_proj is half empty: refused as an adapter bug.
  model.pop_back();
  CHECK_THROWS_AS(save_tensors(model, model_layouts(model, adapter.get())), RunError);
}

TEST_CASE("Load plans: the first layout the checkpoint holds; extra, missing and dtype errors", "[hf]") {
  // gpt-oss style alternatives: a transposed layout, else the [E, out, in] blocks.
  std::vector<ModelTensorInfo> const model = {{"mlp1", {2, 4, 64}, DType::float32}};
  std::vector<std::vector<PieceLayout>> const layouts = {{stored_transposed("up", {2, 4, 64}), stored_whole("up_blocks", {2, 4, 64})}};
  LoadPlan p = plan_load(contents({{"up", StoredDType::BF16, {2, 64, 4}}}), model, layouts, true, nullptr);
  CHECK(p.choice == std::vector<int>{0});
  CHECK(p.sources[0].encoding == StoredEncoding::plain);
  p = plan_load(contents({{"up_blocks", StoredDType::U8, {2, 4, 2, 16}}, {"up_scales", StoredDType::U8, {2, 4, 2}}}), model,
                layouts, false, nullptr);
  CHECK(p.choice == std::vector<int>{1});
  CHECK(p.sources[0].encoding == StoredEncoding::mxfp4);
  CHECK(p.sources[0].scale_shape == Extents{2, 4, 2});
  // torchtitan's to_hf: unquantized values under the *_blocks name.
  p = plan_load(contents({{"up_blocks", StoredDType::F32, {2, 4, 64}}}), model, layouts, false, nullptr);
  CHECK(p.sources[0].encoding == StoredEncoding::plain);
  CHECK_THAT(error_of([&] { plan_load(contents({{"up_blocks", StoredDType::U8, {2, 4, 2, 16}}}), model, layouts, false, nullptr); }),
             Catch::Contains("has no scales 'up_scales'"));
  CHECK_THAT(error_of([&] { plan_load(contents({{"up", StoredDType::BF16, {2, 64, 4}}}), model, layouts, false, nullptr); }),
             Catch::Contains("is BF16 but the run's dtype is float32 (--load-convert-dtype"));
  CHECK_THAT(error_of([&] { plan_load(contents({{"down", StoredDType::F32, {2}}}), model, layouts, false, nullptr); }),
             Catch::Contains("missing tensor 'up' (of mlp1)"));
  CHECK_THAT(error_of([&] {
               plan_load(contents({{"up", StoredDType::F32, {2, 64, 4}}, {"x", StoredDType::F32, {1}}}), model, layouts, false, nullptr);
             }),
             Catch::Contains("extra tensor 'x' that the model does not have"));
  // FP8 needs its block scales, ceil(rows/128) x ceil(cols/128).
  std::vector<ModelTensorInfo> const lin = {{"w", {130, 4}, DType::float32}};
  std::vector<std::vector<PieceLayout>> const wl = {{stored_whole("w", {130, 4})}};
  p = plan_load(contents({{"w", StoredDType::F8_E4M3, {130, 4}}, {"w_scale_inv", StoredDType::F32, {2, 1}}}), lin, wl, false, nullptr);
  CHECK(p.sources[0].encoding == StoredEncoding::fp8_block);
  CHECK_THAT(error_of([&] {
               plan_load(contents({{"w", StoredDType::F8_E4M3, {130, 4}}, {"w_scale_inv", StoredDType::F32, {1, 1}}}), lin, wl,
                         false, nullptr);
             }),
             Catch::Contains("the block scales of [130, 4] are F32 or BF16 [2, 1]"));
  // The plan survives its trip through text.
  LoadPlan const back = decode_load_plan(encode_load_plan(p));
  CHECK(back.sources[0].scale_shape == p.sources[0].scale_shape);
  CHECK(back.sources[0].encoding == p.sources[0].encoding);
  CHECK(back.choice == p.choice);
}

TEST_CASE("config.json: transformers' layout, and the first differing field on load", "[hf]") {
  Llama3Args const a = llama3_flavor("debugmodel");
  auto const adapter = llama3_hf_adapter(a);
  std::string const text = hf_config_text(adapter->config(DType::bfloat16));
  CHECK(text.rfind("{\n  \"architectures\": [\n    \"LlamaForCausalLM\"\n  ],\n  \"attention_bias\": false,\n", 0) == 0);
  CHECK(text.find("\n  \"rope_scaling\": {\n    \"factor\": 8.0,\n") != std::string::npos);
  CHECK(text.find("\n  \"torch_dtype\": \"bfloat16\",\n") != std::string::npos);
  CHECK(text.substr(text.size() - 3) == "\n}\n");
  HfConfig const want = adapter->config(DType::float32);
  CHECK_NOTHROW(check_hf_config(want, text, "c.json"));  // torch_dtype is not compared
  CHECK_NOTHROW(check_hf_config(want, R"({"num_attention_heads": 16, "rope_theta": 500000})", "c.json"));  // 500000 == 500000.0
  CHECK_THAT(error_of([&] { check_hf_config(want, R"({"vocab_size": 2048, "num_attention_heads": 8, "hidden_size": 512})", "c.json"); }),
             Catch::Contains("c.json: hidden_size = 512 in the checkpoint's config.json but 256 in the deck's model"));
  CHECK_THAT(error_of([&] { check_hf_config(want, R"({"rope_scaling": {"factor": 32.0}})", "c.json"); }),
             Catch::Contains("rope_scaling.factor = 32.0 in the checkpoint's config.json but 8.0"));
  CHECK_THAT(error_of([&] { check_hf_config(want, R"({"rope_scaling": null})", "c.json"); }), Catch::Contains("rope_scaling = null"));
  CHECK_THAT(error_of([&] { check_hf_config(want, "[", "c.json"); }), Catch::Contains("invalid JSON"));
}
