// Tensor names in a checkpoint: titan_app's FQNs, or Hugging Face's for
// Llama3 (with the q/k row permutation between torchtitan's interleaved-pair
// RoPE layout and HF's rotate-half layout), and HF's config.json.
// Host-only: no Kokkos, no MPI.
#pragma once

#include <cstdint>
#include <string>

namespace titan {

enum class CheckpointNames { titan, hf };
//! "titan" / "hf"; parse returns false for anything else.
char const* checkpoint_names_name(CheckpointNames n);
bool parse_checkpoint_names(std::string const& s, CheckpointNames& out);

//! How a parameter is stored: its name and, for HF's q/k projections, the
//! number of heads whose rows are permuted (0 = rows in titan's order).
struct StoredName {
  std::string name;
  std::int64_t permute_heads = 0;
};

//! The heads that decide the q/k permutation.
struct AttentionHeads {
  std::int64_t n_heads = 0, n_kv_heads = 0;
};

//! The stored name of the parameter `fqn` (tied: registered under other names
//! too). titan: the FQN itself. hf (Llama3): the HF name; a tied weight is
//! stored once as model.embed_tokens.weight (HF drops lm_head when
//! tie_word_embeddings). Throws InputError for an FQN with no HF name, or a
//! family other than llama3.
StoredName stored_name(std::string const& family, std::string const& fqn, bool tied, CheckpointNames names,
                       AttentionHeads heads);

//! torchtitan's Llama3 to_hf permutation of a [rows, cols] q or k weight with
//! `heads` heads: w.view(heads, rows/heads/2, 2, cols).transpose(1, 2)
//! .reshape(rows, cols). Row r of titan's tensor is row hf_row(r) of HF's.
inline std::int64_t hf_row(std::int64_t r, std::int64_t rows, std::int64_t heads) {
  std::int64_t const hd = rows / heads, half = hd / 2;
  std::int64_t const h = r / hd, j = r % hd;
  return h * hd + (j % 2) * half + j / 2;
}
//! The inverse (from_hf): HF row k is titan's row titan_row(k).
inline std::int64_t titan_row(std::int64_t k, std::int64_t rows, std::int64_t heads) {
  std::int64_t const hd = rows / heads, half = hd / 2;
  std::int64_t const h = k / hd, j = k % hd;
  return h * hd + 2 * (j % half) + j / half;
}

//! What HF's config.json for LlamaForCausalLM needs.
struct HfLlamaConfig {
  std::int64_t hidden_size = 0, intermediate_size = 0, num_attention_heads = 0, num_key_value_heads = 0;
  std::int64_t num_hidden_layers = 0, vocab_size = 0, head_dim = 0, max_position_embeddings = 0;
  double rms_norm_eps = 1e-5, rope_theta = 500000.0;
  bool rope_scaling = true;  // false: "rope_scaling": null
  double rope_factor = 8.0, rope_low_freq_factor = 1.0, rope_high_freq_factor = 4.0;
  std::int64_t rope_original_max_position_embeddings = 8192;
  bool tie_word_embeddings = false;
  std::string torch_dtype = "float32";  // "bfloat16" / "float32"
};
//! config.json as transformers writes it (keys sorted, indent 2).
std::string hf_llama_config_json(HfLlamaConfig const& c);

}  // namespace titan
