#include "titan/models/llama3_limits.hpp"

#include "titan/core/errors.hpp"

#include <cmath>
#include <cstdio>

namespace titan {
namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

}  // namespace

void check_llama3_limits(Llama3Args const& a, std::string const& where) {
  require(a.n_layers <= max_layers, where + " n_layers = " + std::to_string(a.n_layers) + " is more than " +
                                        std::to_string(max_layers) + " layers");
  double const dim = static_cast<double>(a.dim);
  double const head_dim = dim / static_cast<double>(a.n_heads);
  double const kv = static_cast<double>(a.n_kv_heads.value_or(a.n_heads));
  // The feed-forward width as llama_ffn_hidden_dim computes it, in double.
  double h = std::floor(8 * dim / 3);
  if (a.ffn_dim_multiplier) h = std::floor(*a.ffn_dim_multiplier * h);
  double const m = static_cast<double>(a.multiple_of);
  double const hidden = m * std::ceil(h / m);
  require(hidden >= 1, where + " the feed-forward width is 0 (dim = " + std::to_string(a.dim) +
                           ", ffn_dim_multiplier = " + number(a.ffn_dim_multiplier.value_or(1.0)) +
                           "); raise ffn_dim_multiplier");
  double const per_layer = 2 * dim * dim + 2 * kv * head_dim * dim + 3 * hidden * dim + 2 * dim;
  double const vocab = static_cast<double>(a.vocab_size);
  double const params = static_cast<double>(a.n_layers) * per_layer + (a.tie_embeddings ? 1 : 2) * vocab * dim + dim;
  require(params <= max_model_params, where + " the model would have " + number(params) +
                                          " parameters, more than 2^50 (" + number(max_model_params) + ")");
  // The RoPE table (freqs_cis, float32, on every rank): its elements and its bytes.
  double const rope = static_cast<double>(a.max_seq_len) * head_dim;
  require(rope <= max_model_params, where + " max_seq_len * head_dim = " + number(rope) +
                                        " (the RoPE table) is more than 2^50");
  double const rope_bytes = rope * 4;
  require(rope_bytes <= max_buffer_bytes, where + " the RoPE table (freqs_cis, max_seq_len * head_dim float32 on every rank) would take " +
                                              number(rope_bytes) + " bytes, more than 2^50 (" + number(max_buffer_bytes) + ")");
}

}  // namespace titan
