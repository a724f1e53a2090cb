#include "titan/models/flux/flux_hf.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/flux/flux_args.hpp"

namespace titan {

namespace {

// torchtitan/models/flux/model/state_dict_adapter.py, from_hf_map_direct
// (titan FQN suffix -> diffusers' name), per kind of block.
std::vector<std::pair<char const*, char const*>> const top_names = {
    {"img_in.weight", "x_embedder.weight"},
    {"img_in.bias", "x_embedder.bias"},
    {"txt_in.weight", "context_embedder.weight"},
    {"txt_in.bias", "context_embedder.bias"},
    {"time_in.in_layer.weight", "time_text_embed.timestep_embedder.linear_1.weight"},
    {"time_in.in_layer.bias", "time_text_embed.timestep_embedder.linear_1.bias"},
    {"time_in.out_layer.weight", "time_text_embed.timestep_embedder.linear_2.weight"},
    {"time_in.out_layer.bias", "time_text_embed.timestep_embedder.linear_2.bias"},
    {"vector_in.in_layer.weight", "time_text_embed.text_embedder.linear_1.weight"},
    {"vector_in.in_layer.bias", "time_text_embed.text_embedder.linear_1.bias"},
    {"vector_in.out_layer.weight", "time_text_embed.text_embedder.linear_2.weight"},
    {"vector_in.out_layer.bias", "time_text_embed.text_embedder.linear_2.bias"},
    {"final_layer.linear.weight", "proj_out.weight"},
    {"final_layer.linear.bias", "proj_out.bias"},
};
std::vector<std::pair<char const*, char const*>> const double_names = {
    {"img_mod.lin.weight", "norm1.linear.weight"},
    {"img_mod.lin.bias", "norm1.linear.bias"},
    {"txt_mod.lin.weight", "norm1_context.linear.weight"},
    {"txt_mod.lin.bias", "norm1_context.linear.bias"},
    {"img_attn.norm.query_norm.weight", "attn.norm_q.weight"},
    {"img_attn.norm.key_norm.weight", "attn.norm_k.weight"},
    {"txt_attn.norm.query_norm.weight", "attn.norm_added_q.weight"},
    {"txt_attn.norm.key_norm.weight", "attn.norm_added_k.weight"},
    {"img_attn.proj.weight", "attn.to_out.0.weight"},
    {"img_attn.proj.bias", "attn.to_out.0.bias"},
    {"txt_attn.proj.weight", "attn.to_add_out.weight"},
    {"txt_attn.proj.bias", "attn.to_add_out.bias"},
    {"img_mlp.0.weight", "ff.net.0.proj.weight"},
    {"img_mlp.0.bias", "ff.net.0.proj.bias"},
    {"img_mlp.2.weight", "ff.net.2.weight"},
    {"img_mlp.2.bias", "ff.net.2.bias"},
    {"txt_mlp.0.weight", "ff_context.net.0.proj.weight"},
    {"txt_mlp.0.bias", "ff_context.net.0.proj.bias"},
    {"txt_mlp.2.weight", "ff_context.net.2.weight"},
    {"txt_mlp.2.bias", "ff_context.net.2.bias"},
};
std::vector<std::pair<char const*, char const*>> const single_names = {
    {"norm.query_norm.weight", "attn.norm_q.weight"},
    {"norm.key_norm.weight", "attn.norm_k.weight"},
    {"modulation.lin.weight", "norm.linear.weight"},
    {"modulation.lin.bias", "norm.linear.bias"},
    {"linear2.weight", "proj_out.weight"},
    {"linear2.bias", "proj_out.bias"},
};

// "<kind>.weight" or "<kind>.bias" -> (kind, "weight"/"bias").
bool split_param(std::string const& rest, std::string& kind, std::string& what) {
  std::size_t const dot = rest.rfind('.');
  if (dot == std::string::npos) return false;
  kind = rest.substr(0, dot);
  what = rest.substr(dot + 1);
  return what == "weight" || what == "bias";
}

class FluxHf final : public HfAdapter {
 public:
  explicit FluxHf(FluxArgs const& a) : _a(a) {}

  std::vector<PieceLayout> layouts(std::string const& fqn, Extents const& shape, bool) const override {
    std::int64_t const H = _a.hidden_size;
    std::string const top = renamed(fqn, top_names);
    if (!top.empty()) return {stored_whole(top, shape)};
    if (fqn == "final_layer.adaLN_modulation.1.weight" || fqn == "final_layer.adaLN_modulation.1.bias") {
      // torchtitan's _swap_scale_shift: titan's rows (shift, scale) are diffusers' (scale, shift).
      std::string const name = fqn == "final_layer.adaLN_modulation.1.weight" ? "norm_out.linear.weight" : "norm_out.linear.bias";
      PieceLayout l = stored_row_blocks({name, name}, {H, H}, shape);
      l[0].stored_shape[0] = l[1].stored_shape[0] = 2 * H;
      l[0].at[0] = H;  // shift -> the second half
      l[1].at[0] = 0;  // scale -> the first half
      return {l};
    }
    std::string i, rest, kind, what;
    if (split_indexed(fqn, "double_blocks.", i, rest)) {
      std::string const p = "transformer_blocks." + i + ".";
      std::string const hf = renamed(rest, double_names);
      if (!hf.empty()) return {stored_whole(p + hf, shape)};
      if (split_param(rest, kind, what) && (kind == "img_attn.qkv" || kind == "txt_attn.qkv")) {
        char const* const names_img[] = {"attn.to_q.", "attn.to_k.", "attn.to_v."};
        char const* const names_txt[] = {"attn.add_q_proj.", "attn.add_k_proj.", "attn.add_v_proj."};
        char const* const* n = kind == "img_attn.qkv" ? names_img : names_txt;
        return {stored_row_blocks({p + n[0] + what, p + n[1] + what, p + n[2] + what}, {H, H, H}, shape)};
      }
    }
    if (split_indexed(fqn, "single_blocks.", i, rest)) {
      std::string const p = "single_transformer_blocks." + i + ".";
      std::string const hf = renamed(rest, single_names);
      if (!hf.empty()) return {stored_whole(p + hf, shape)};
      if (split_param(rest, kind, what) && kind == "linear1")
        return {stored_row_blocks({p + "attn.to_q." + what, p + "attn.to_k." + what, p + "attn.to_v." + what,
                                   p + "proj_mlp." + what},
                                  {H, H, H, _a.mlp_hidden_dim()}, shape)};
    }
    no_hf_name("flux", fqn);
  }

  HfConfig config(DType) const override {
    return {
        {"_class_name", json_text("FluxTransformer2DModel")},
        {"_diffusers_version", json_text("0.30.0"), false},
        {"attention_head_dim", json_int(_a.head_dim())},
        {"axes_dims_rope", json_ints(_a.axes_dim)},
        {"guidance_embeds", "false"},  // titan's Flux has no guidance embedder
        {"in_channels", json_int(_a.in_channels)},
        {"joint_attention_dim", json_int(_a.context_in_dim)},
        {"num_attention_heads", json_int(_a.num_heads)},
        {"num_layers", json_int(_a.depth)},
        {"num_single_layers", json_int(_a.depth_single_blocks)},
        {"out_channels", json_int(_a.out_channels)},
        {"patch_size", json_int(_a.patch_size)},
        {"pooled_projection_dim", json_int(_a.vec_in_dim)},
    };
  }

  std::string file_stem() const override { return "diffusion_pytorch_model"; }

 private:
  FluxArgs _a;
};

}  // namespace

std::unique_ptr<HfAdapter> flux_hf_adapter(ModelArgs const& args) {
  auto const& a = dynamic_cast<FluxArgs const&>(args);
  // What diffusers' FluxTransformer2DModel fixes in code rather than config.
  require(a.mlp_ratio == 4.0 && a.qkv_bias && a.theta == 10000.0,
          "Hugging Face names: diffusers' FluxTransformer2DModel has mlp_ratio 4, qkv biases and RoPE theta 10000; "
          "this deck's Flux (mlp_ratio " + std::to_string(a.mlp_ratio) + ", theta " + std::to_string(a.theta) +
              ") has no diffusers architecture");
  return std::make_unique<FluxHf>(a);
}

}  // namespace titan
