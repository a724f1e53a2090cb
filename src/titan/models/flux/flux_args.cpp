#include "titan/models/flux/flux_args.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/common/model_limits.hpp"

#include <cmath>
#include <cstdio>

namespace titan {

std::vector<std::string> flux_flavors() { return {"flux-debug", "flux-dev", "flux-schnell"}; }

FluxArgs flux_flavor(std::string const& flavor) {
  FluxArgs a;  // defaults = flux-debug
  if (flavor == "flux-debug") return a;
  if (flavor == "flux-dev" || flavor == "flux-schnell") {
    // Identical transformers (torchtitan builds neither with a guidance embedder).
    a.hidden_size = 3072;
    a.num_heads = 24;
    a.depth = 19;
    a.depth_single_blocks = 38;
    return a;
  }
  std::string list;
  for (auto const& f : flux_flavors()) list += (list.empty() ? "" : ", ") + f;
  throw InputError("[model] unknown flux flavor '" + flavor + "' (valid: " + list + ")");
}

void FluxArgs::declare(KeyTable& k) {
  k.integer("hidden_size", hidden_size);
  k.integer("num_heads", num_heads);
  k.number("mlp_ratio", mlp_ratio);
  k.integer("depth", depth);
  k.integer("depth_single_blocks", depth_single_blocks);
  k.integer("in_channels", in_channels);
  k.integer("out_channels", out_channels);
  k.integer("vec_in_dim", vec_in_dim);
  k.integer("context_in_dim", context_in_dim);
  k.integer_list("axes_dim", axes_dim);
  k.number("theta", theta, 1.0);
  k.boolean("qkv_bias", qkv_bias);
  k.integer("patch_size", patch_size);
  k.number("norm_eps", norm_eps);
  k.number("qk_norm_eps", qk_norm_eps);
}

std::int64_t FluxArgs::mlp_hidden_dim() const {
  return static_cast<std::int64_t>(std::floor(static_cast<double>(hidden_size) * mlp_ratio));
}

namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

std::string list_text(std::vector<std::int64_t> const& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// The size limits, in floating point so that absurd inputs cannot overflow
// here; assumes sizes > 0 and num_heads dividing hidden_size (checked first).
void check_limits(FluxArgs const& a, KeyPosition const& where) {
  double const blocks = static_cast<double>(a.depth) + static_cast<double>(a.depth_single_blocks);
  require(blocks <= static_cast<double>(max_layers),
          where("depth") + " depth + depth_single_blocks = " + number(blocks) + " is more than " +
              std::to_string(max_layers) + " blocks");
  double const h = static_cast<double>(a.hidden_size);
  double const m = std::floor(h * a.mlp_ratio);
  require(m >= 1, where("mlp_ratio") + " the MLP width int(hidden_size * mlp_ratio) is 0 (hidden_size = " +
                      std::to_string(a.hidden_size) + ", mlp_ratio = " + number(a.mlp_ratio) + "); raise mlp_ratio");
  double const hd = h / static_cast<double>(a.num_heads);
  double const p = static_cast<double>(a.patch_size);
  double const out = p * p * static_cast<double>(a.out_channels);
  double const qkv_bias = a.qkv_bias ? 3 * h : 0;
  double const embedders = (static_cast<double>(a.in_channels) + 1) * h                     // img_in
                           + (flux_time_embedding_dim + 1) * h + (h + 1) * h               // time_in
                           + (static_cast<double>(a.vec_in_dim) + 1) * h + (h + 1) * h     // vector_in
                           + (static_cast<double>(a.context_in_dim) + 1) * h;              // txt_in
  double const stream = (6 * h + 6 * h * h) + (3 * h * h + qkv_bias) + 2 * hd + (h * h + h) + (m * h + m) + (h * m + h);
  double const single = (3 * h + m) * (h + 1) + (h + m + 1) * h + 2 * hd + (3 * h * h + 3 * h);
  double const final_layer = out * (h + 1) + 2 * h * (h + 1);
  double const params = embedders + static_cast<double>(a.depth) * 2 * stream +
                        static_cast<double>(a.depth_single_blocks) * single + final_layer;
  require(params <= max_model_params, where("") + " the model would have " + number(params) +
                                          " parameters, more than 2^50 (" + number(max_model_params) + ")");
}

}  // namespace

void FluxArgs::validate(KeyPosition const& where) const {
  require(hidden_size % num_heads == 0, where("num_heads") + " num_heads = " + std::to_string(num_heads) +
                                            " does not divide hidden_size = " + std::to_string(hidden_size));
  // EmbedND rotates pairs on each axis: every axis width is even, and the
  // axes together cover one head.
  double sum = 0;
  for (std::int64_t d : axes_dim) sum += static_cast<double>(d);
  require(sum == static_cast<double>(head_dim()),
          where("axes_dim") + " axes_dim = " + list_text(axes_dim) + " sums to " + number(sum) +
              " but head_dim = hidden_size / num_heads = " + std::to_string(hidden_size) + " / " +
              std::to_string(num_heads) + " = " + std::to_string(head_dim()) + " (the RoPE axes must cover one head)");
  for (std::int64_t d : axes_dim)
    require(d % 2 == 0, where("axes_dim") + " axes_dim = " + list_text(axes_dim) + ": every entry must be even (" +
                            std::to_string(d) + " is odd; RoPE rotates pairs)");
  check_limits(*this, where);
}

std::vector<std::pair<std::string, std::string>> FluxArgs::derived() const {
  return {{"head_dim", std::to_string(head_dim())},
          {"mlp_hidden_dim", std::to_string(mlp_hidden_dim())},
          {"final_layer_out", std::to_string(patch_size * patch_size * out_channels)}};
}

DeckFamily flux_deck_family() {
  return {"flux", flux_flavors(), [](std::string const& flavor) -> std::unique_ptr<ModelArgs> {
            return std::make_unique<FluxArgs>(flux_flavor(flavor));
          }};
}

}  // namespace titan
