#include "titan/checkpoint/checkpoint_names.hpp"

#include "titan/core/errors.hpp"

#include <cstdio>
#include <utility>
#include <vector>

namespace titan {

char const* checkpoint_names_name(CheckpointNames n) { return n == CheckpointNames::titan ? "titan" : "hf"; }

bool parse_checkpoint_names(std::string const& s, CheckpointNames& out) {
  if (s == "titan") out = CheckpointNames::titan;
  else if (s == "hf") out = CheckpointNames::hf;
  else return false;
  return true;
}

namespace {

// "layers.<i>.<rest>" -> (i, rest); false otherwise.
bool split_layer(std::string const& fqn, std::string& index, std::string& rest) {
  std::string const prefix = "layers.";
  if (fqn.compare(0, prefix.size(), prefix) != 0) return false;
  std::size_t const dot = fqn.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size()) return false;
  index = fqn.substr(prefix.size(), dot - prefix.size());
  for (char c : index)
    if (c < '0' || c > '9') return false;
  rest = fqn.substr(dot + 1);
  return true;
}

}  // namespace

StoredName stored_name(std::string const& family, std::string const& fqn, bool tied, CheckpointNames names,
                       AttentionHeads heads) {
  if (names == CheckpointNames::titan) return {fqn, 0};
  if (family != "llama3")
    throw InputError("--checkpoint-names hf: no Hugging Face name mapping for family '" + family + "' (only llama3)");
  // The mapping of torchtitan's Llama3 state-dict adapter (classic names).
  if (fqn == "tok_embeddings.weight" || (fqn == "output.weight" && tied)) return {"model.embed_tokens.weight", 0};
  if (fqn == "output.weight") return {"lm_head.weight", 0};
  if (fqn == "norm.weight") return {"model.norm.weight", 0};
  std::string i, rest;
  if (split_layer(fqn, i, rest)) {
    static std::vector<std::pair<char const*, char const*>> const layer_map = {
        {"attention.wq.weight", "self_attn.q_proj.weight"},
        {"attention.wk.weight", "self_attn.k_proj.weight"},
        {"attention.wv.weight", "self_attn.v_proj.weight"},
        {"attention.wo.weight", "self_attn.o_proj.weight"},
        {"feed_forward.w1.weight", "mlp.gate_proj.weight"},
        {"feed_forward.w2.weight", "mlp.down_proj.weight"},
        {"feed_forward.w3.weight", "mlp.up_proj.weight"},
        {"attention_norm.weight", "input_layernorm.weight"},
        {"ffn_norm.weight", "post_attention_layernorm.weight"},
    };
    for (auto const& [titan_name, hf_name] : layer_map)
      if (rest == titan_name) {
        std::int64_t permute = 0;
        if (rest == "attention.wq.weight") permute = heads.n_heads;
        if (rest == "attention.wk.weight") permute = heads.n_kv_heads;
        return {"model.layers." + i + "." + hf_name, permute};
      }
  }
  throw InputError("--checkpoint-names hf: parameter " + fqn + " has no Hugging Face name");
}

std::string hf_llama_config_json(HfLlamaConfig const& c) {
  auto num = [](double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    std::string s = buf;
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";  // Python writes floats with a point
    return s;
  };
  auto i64 = [](std::int64_t v) { return std::to_string(v); };
  std::string rope = "null";
  if (c.rope_scaling)
    rope = "{\n    \"factor\": " + num(c.rope_factor) + ",\n    \"high_freq_factor\": " + num(c.rope_high_freq_factor) +
           ",\n    \"low_freq_factor\": " + num(c.rope_low_freq_factor) +
           ",\n    \"original_max_position_embeddings\": " + i64(c.rope_original_max_position_embeddings) +
           ",\n    \"rope_type\": \"llama3\"\n  }";
  // Sorted keys, as transformers' to_json_string(sort_keys=True) writes them.
  std::vector<std::pair<std::string, std::string>> const kv = {
      {"architectures", "[\n    \"LlamaForCausalLM\"\n  ]"},
      {"attention_bias", "false"},
      {"attention_dropout", "0.0"},
      {"head_dim", i64(c.head_dim)},
      {"hidden_act", "\"silu\""},
      {"hidden_size", i64(c.hidden_size)},
      {"initializer_range", "0.02"},
      {"intermediate_size", i64(c.intermediate_size)},
      {"max_position_embeddings", i64(c.max_position_embeddings)},
      {"mlp_bias", "false"},
      {"model_type", "\"llama\""},
      {"num_attention_heads", i64(c.num_attention_heads)},
      {"num_hidden_layers", i64(c.num_hidden_layers)},
      {"num_key_value_heads", i64(c.num_key_value_heads)},
      {"pretraining_tp", "1"},
      {"rms_norm_eps", num(c.rms_norm_eps)},
      {"rope_scaling", rope},
      {"rope_theta", num(c.rope_theta)},
      {"tie_word_embeddings", c.tie_word_embeddings ? "true" : "false"},
      {"torch_dtype", "\"" + c.torch_dtype + "\""},
      {"use_cache", "true"},
      {"vocab_size", i64(c.vocab_size)},
  };
  std::string o = "{";
  for (std::size_t k = 0; k < kv.size(); ++k) o += (k ? ",\n  \"" : "\n  \"") + kv[k].first + "\": " + kv[k].second;
  return o + "\n}\n";
}

}  // namespace titan
