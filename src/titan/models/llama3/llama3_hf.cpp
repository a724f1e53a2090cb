#include "titan/models/llama3/llama3_hf.hpp"

#include "titan/models/llama3/llama3_args.hpp"

namespace titan {

AttentionHeads llama3_attention_heads(ModelArgs const& args) {
  auto const& a = dynamic_cast<Llama3Args const&>(args);
  return {a.n_heads, a.kv_heads()};
}

std::string llama3_hf_config_json(ModelArgs const& args, DType dtype) {
  auto const& a = dynamic_cast<Llama3Args const&>(args);
  HfLlamaConfig c;
  c.hidden_size = a.dim;
  c.intermediate_size = a.ffn_hidden_dim();
  c.num_attention_heads = a.n_heads;
  c.num_key_value_heads = a.kv_heads();
  c.num_hidden_layers = a.n_layers;
  c.vocab_size = a.vocab_size;
  c.head_dim = a.head_dim();
  c.max_position_embeddings = a.max_seq_len;
  c.rms_norm_eps = a.norm_eps;
  c.rope_theta = a.rope_theta;
  c.rope_scaling = a.rope_scaling == "llama";
  c.rope_factor = a.rope_scaling_factor;
  c.rope_low_freq_factor = a.rope_low_freq_factor;
  c.rope_high_freq_factor = a.rope_high_freq_factor;
  c.rope_original_max_position_embeddings = a.rope_original_max_position_embeddings;
  c.tie_word_embeddings = a.tie_embeddings;
  c.torch_dtype = dtype_name(dtype);
  return hf_llama_config_json(c);
}

}  // namespace titan
