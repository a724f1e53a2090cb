#include "titan/models/llama3/llama3_hf.hpp"

#include "titan/models/llama3/llama3_args.hpp"

namespace titan {

namespace {

// torchtitan/models/llama3/state_dict_adapter.py (classic titan FQNs on the left).
std::vector<std::pair<char const*, char const*>> const layer_names = {
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

class Llama3Hf final : public HfAdapter {
 public:
  explicit Llama3Hf(Llama3Args const& a) : _a(a) {}

  std::vector<PieceLayout> layouts(std::string const& fqn, Extents const& shape, bool tied) const override {
    if (fqn == "tok_embeddings.weight" || (fqn == "output.weight" && tied))
      return {stored_whole("model.embed_tokens.weight", shape)};  // HF drops lm_head when tie_word_embeddings
    if (fqn == "output.weight") return {stored_whole("lm_head.weight", shape)};
    if (fqn == "norm.weight") return {stored_whole("model.norm.weight", shape)};
    std::string i, rest;
    if (split_indexed(fqn, "layers.", i, rest)) {
      std::string const hf = renamed(rest, layer_names);
      if (!hf.empty()) {
        std::string const name = "model.layers." + i + "." + hf;
        if (rest == "attention.wq.weight") return {stored_rope_permuted(name, shape, _a.n_heads)};
        if (rest == "attention.wk.weight") return {stored_rope_permuted(name, shape, _a.kv_heads())};
        return {stored_whole(name, shape)};
      }
    }
    no_hf_name("llama3", fqn);
  }

  bool ignored_on_load(std::string const& name) const override {
    return HfAdapter::ignored_on_load(name) || (_a.tie_embeddings && name == "lm_head.weight");
  }

  HfConfig config(DType dtype) const override {
    std::string rope = "null";
    if (_a.rope_scaling == "llama")
      rope = json_object({{"factor", json_float(_a.rope_scaling_factor)},
                          {"high_freq_factor", json_float(_a.rope_high_freq_factor)},
                          {"low_freq_factor", json_float(_a.rope_low_freq_factor)},
                          {"original_max_position_embeddings", json_int(_a.rope_original_max_position_embeddings)},
                          {"rope_type", json_text("llama3")}});
    return {
        {"architectures", json_texts({"LlamaForCausalLM"})},
        {"attention_bias", "false"},
        {"attention_dropout", "0.0", false},
        {"head_dim", json_int(_a.head_dim())},
        {"hidden_act", json_text("silu")},
        {"hidden_size", json_int(_a.dim)},
        {"initializer_range", "0.02", false},
        {"intermediate_size", json_int(_a.ffn_hidden_dim())},
        {"max_position_embeddings", json_int(_a.max_seq_len), false},
        {"mlp_bias", "false"},
        {"model_type", json_text("llama")},
        {"num_attention_heads", json_int(_a.n_heads)},
        {"num_hidden_layers", json_int(_a.n_layers)},
        {"num_key_value_heads", json_int(_a.kv_heads())},
        {"pretraining_tp", "1", false},
        {"rms_norm_eps", json_float(_a.norm_eps)},
        {"rope_scaling", rope},
        {"rope_theta", json_float(_a.rope_theta)},
        {"tie_word_embeddings", json_bool(_a.tie_embeddings)},
        {"torch_dtype", json_text(dtype_name(dtype)), false},
        {"use_cache", "true", false},
        {"vocab_size", json_int(_a.vocab_size)},
    };
  }

 private:
  Llama3Args _a;
};

}  // namespace

std::unique_ptr<HfAdapter> llama3_hf_adapter(ModelArgs const& args) {
  return std::make_unique<Llama3Hf>(dynamic_cast<Llama3Args const&>(args));
}

}  // namespace titan
