#include "titan/models/llama3/llama3_args.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/models/common/model_limits.hpp"
#include "titan/modules/ffn_hidden_dim.hpp"

#include <cmath>
#include <cstdio>

namespace titan {

std::vector<std::string> llama3_flavors() { return {"debugmodel", "1B", "3B", "8B", "70B", "405B"}; }

Llama3Args llama3_flavor(std::string const& flavor) {
  Llama3Args a;  // defaults = debugmodel
  auto set = [&](std::int64_t dim, std::int64_t layers, std::int64_t heads, std::int64_t kv, std::int64_t multiple_of,
                 double mult, bool tied) {
    a.dim = dim;
    a.n_layers = layers;
    a.n_heads = heads;
    a.n_kv_heads = kv;
    a.vocab_size = 128256;
    a.multiple_of = multiple_of;
    a.ffn_dim_multiplier = mult;
    a.tie_embeddings = tied;
    a.max_seq_len = 8192;
  };
  if (flavor == "debugmodel") return a;
  if (flavor == "1B") set(2048, 16, 32, 8, 1024, 1.5, true);
  else if (flavor == "3B") set(3072, 28, 24, 8, 1024, 1.0, true);
  else if (flavor == "8B") set(4096, 32, 32, 8, 1024, 1.3, false);
  else if (flavor == "70B") set(8192, 80, 64, 8, 4096, 1.3, false);
  else if (flavor == "405B") set(16384, 126, 128, 8, 4096, 1.2, false);
  else {
    std::string list;
    for (auto const& f : llama3_flavors()) list += (list.empty() ? "" : ", ") + f;
    throw InputError("[model] unknown llama3 flavor '" + echo(flavor) + "' (valid: " + list + ")");
  }
  return a;
}

void Llama3Args::declare(KeyTable& k) {
  k.integer("dim", dim);
  k.integer("n_layers", n_layers);
  k.integer("n_heads", n_heads);
  k.optional_integer("n_kv_heads", n_kv_heads);
  k.integer("vocab_size", vocab_size);
  k.integer("multiple_of", multiple_of);
  k.optional_number("ffn_dim_multiplier", ffn_dim_multiplier);
  k.number("norm_eps", norm_eps);
  k.number("rope_theta", rope_theta, 1.0);
  k.choice("rope_scaling", rope_scaling, {"llama", "none"});
  k.number("rope_scaling_factor", rope_scaling_factor);
  k.number("rope_low_freq_factor", rope_low_freq_factor);
  k.number("rope_high_freq_factor", rope_high_freq_factor);
  k.integer("rope_original_max_position_embeddings", rope_original_max_position_embeddings);
  k.integer("max_seq_len", max_seq_len);
  k.boolean("tie_embeddings", tie_embeddings);
}

std::int64_t Llama3Args::ffn_hidden_dim() const { return llama_ffn_hidden_dim(dim, multiple_of, ffn_dim_multiplier); }

namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

// The size limits, computed in floating point so that absurd inputs cannot
// overflow here; assumes sizes > 0 and n_heads dividing dim (checked first).
void check_limits(Llama3Args const& a, std::string const& where) {
  require(a.n_layers <= max_layers, where + " n_layers = " + std::to_string(a.n_layers) + " is more than " +
                                        std::to_string(max_layers) + " layers");
  double const dim = static_cast<double>(a.dim);
  double const head_dim = dim / static_cast<double>(a.n_heads);
  double const kv = static_cast<double>(a.kv_heads());
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

}  // namespace

void Llama3Args::validate(KeyPosition const& where) const {
  require(dim % n_heads == 0,
          where("n_heads") + " n_heads = " + std::to_string(n_heads) + " does not divide dim = " + std::to_string(dim));
  require(n_heads % kv_heads() == 0, where("n_kv_heads") + " n_kv_heads = " + std::to_string(kv_heads()) +
                                         " does not divide n_heads = " + std::to_string(n_heads));
  require(head_dim() % 2 == 0,
          where("n_heads") + " head_dim = dim / n_heads = " + std::to_string(head_dim()) + " must be even for RoPE");
  check_limits(*this, where(""));
}

std::vector<std::pair<std::string, std::string>> Llama3Args::derived() const {
  return {{"head_dim", std::to_string(head_dim())},
          {"n_kv_heads", std::to_string(kv_heads())},
          {"ffn_hidden_dim", std::to_string(ffn_hidden_dim())}};
}

DeckFamily llama3_deck_family() {
  return {"llama3", llama3_flavors(), [](std::string const& flavor) -> std::unique_ptr<ModelArgs> {
            return std::make_unique<Llama3Args>(llama3_flavor(flavor));
          }};
}

}  // namespace titan
