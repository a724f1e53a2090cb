// What the forward pass needs to know about a decoder model, as a plain
// struct (no Kokkos, no TOML): sizes, the attention and FFN variants, and the
// FQN of every weight it reads. Each family fills one (llama3_decoder_spec);
// the forward code knows no family's own argument struct.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

//! How RoPE pairs the features of a head (design: docs/forward.md).
//! interleaved: (x[2j], x[2j+1]) as one complex number (Llama3, torchtitan's ComplexRoPE);
//! rotate_half: (x[j], x[j+hd/2]) (Qwen3, torchtitan's CosSinRoPE).
enum class RopeStyle { interleaved, rotate_half };
enum class FfnKind { dense, moe };
enum class ScoreFunc { softmax, sigmoid };
//! gqa: wq/wk/wv heads (Llama3, Qwen3); mla: DeepSeek's multi-head latent attention (MLASpec).
enum class AttentionKind { gqa, mla };
//! The routed experts' form: swiglu = w1/w2/w3 without biases (Llama4, Qwen3,
//! DeepSeek-V3); gpt_oss = mlp1 (interleaved gate/up rows, bias) -> clamped
//! SwiGLU -> mlp2 (bias) (torchtitan's GptOssGroupedExperts).
enum class ExpertKind { swiglu, gpt_oss };

//! A routed mixture of experts (torchtitan's MoE with its TokenChoiceTopKRouter).
struct MoESpec {
  std::int64_t num_experts = 0;    // E
  std::int64_t top_k = 1;          // K
  std::int64_t hidden = 0;         // Fm, per expert
  ScoreFunc score_func = ScoreFunc::softmax;
  bool route_norm = false;         // renormalize the K selected scores to sum 1 (+1e-20)
  double route_scale = 1.0;        // multiplier on the final scores
  std::int64_t shared_hidden = 0;  // hidden width of the merged shared experts; 0 = none
  // FQNs. w1/w3 [E, Fm, D], w2 [E, D, Fm], router_gate [E, D]; shared [Fs, D] / [D, Fs].
  std::string router_gate, w1, w2, w3;
  std::string shared_w1, shared_w2, shared_w3;
  // The load-balancing bias [E] (a replicated float32 buffer, added to the
  // scores for choosing the experts only); "" = none.
  std::string expert_bias;
  // Where the gate multiplies: false = the experts' outputs (in combine,
  // Qwen3); true = the experts' input, expert(gate * x) (torchtitan's
  // score_before_experts, Llama4). SwiGLU is not linear, so they differ.
  bool score_before_experts = false;
  // Node-limited (group-limited) routing: the E experts in n_groups groups
  // of E / n_groups; a token chooses its top-k among the experts of the
  // n_limited_groups groups whose two best biased scores sum highest
  // (torchtitan's _get_node_limited_routing_scores). 0 = no groups.
  std::int64_t n_groups = 0, n_limited_groups = 0;
  // gpt-oss (additive): the router gate's bias [E] ("" = none; read by the
  // gpt_oss experts' router, gpt_oss_moe_forward, only) and the
  // experts when experts == gpt_oss: mlp1 [E, 2 Fm, D] (row 2f the gate,
  // 2f+1 the up half of hidden unit f), mlp1_bias [E, 2 Fm], mlp2 [E, D, Fm],
  // mlp2_bias [E, D]; swiglu_limit / swiglu_alpha of the clamped SwiGLU.
  std::string router_bias;
  ExpertKind experts = ExpertKind::swiglu;
  std::string mlp1, mlp1_bias, mlp2, mlp2_bias;
  double swiglu_limit = 7.0, swiglu_alpha = 1.702;
};

//! DeepSeek's multi-head latent attention (torchtitan deepseek_v3 Attention):
//! per head a query of qk_nope + qk_rope features (only the rope part rotated),
//! keys k_nope from the compressed kv plus one shared rotated k_pe per token,
//! values of v_head_dim. The RoPE table's rotary width is qk_rope_head_dim.
struct MLASpec {
  std::int64_t q_lora_rank = 0;  // 0: q = wq x; else q = wq_b(RMSNorm(wq_a x))
  std::int64_t kv_lora_rank = 0;
  std::int64_t qk_nope_head_dim = 0, qk_rope_head_dim = 0, v_head_dim = 0;
  double softmax_scale = 0;      // (nope + rope)^-0.5, times m^2 under YaRN
  double norm_eps = 1e-5;        // q_norm and kv_norm
};

struct LayerSpec {
  std::string attention_norm, ffn_norm;  // RMSNorm weights [D]
  std::string wq, wk, wv, wo;            // [Hq*hd, D], [Hkv*hd, D], [Hkv*hd, D], [D, Hq*hd]
  std::string q_norm, k_norm;            // [hd] when DecoderSpec::qk_norm
  bool use_rope = true;                  // false: a NoPE layer
  std::int64_t attn_chunk = 0;           // > 0: causal within chunks of this many positions (Llama4); 0: causal
  FfnKind ffn = FfnKind::dense;
  std::int64_t ffn_hidden = 0;           // F (dense)
  std::string w1, w2, w3;                // dense SwiGLU: [F, D], [D, F], [F, D]
  MoESpec moe;                           // when ffn == moe
  // MLA (DecoderSpec::attention == mla): wq (q_lora_rank == 0) or
  // wq_a [q_lora, D], q_lora_norm [q_lora], wq_b [H*(nope+rope), q_lora];
  // wkv_a [kv_lora+rope, D], kv_norm [kv_lora], wkv_b [H*(nope+v), kv_lora]; wo [D, H*v].
  std::string wq_a, q_lora_norm, wq_b, wkv_a, kv_norm, wkv_b;
  // gpt-oss (additive): biases of wq/wk/wv [Hq*hd], [Hkv*hd], [Hkv*hd] and
  // wo [D] ("" = none); attention sinks [Hq] (a per-head logit in the softmax
  // denominator; "" = none); a causal sliding window of this many positions
  // (token t sees t-window+1 .. t; 0 = full causal).
  std::string wq_bias, wk_bias, wv_bias, wo_bias;
  std::string sinks;
  std::int64_t sliding_window = 0;
};

struct DecoderSpec {
  std::string family;
  std::int64_t dim = 0;          // D
  std::int64_t n_heads = 0;      // Hq
  std::int64_t n_kv_heads = 0;   // Hkv (divides Hq)
  std::int64_t head_dim = 0;     // hd (Hq*hd may differ from D)
  std::int64_t vocab_size = 0;   // V
  std::int64_t max_seq_len = 0;  // rows of the RoPE table
  double norm_eps = 1e-5;        // every RMSNorm over D
  bool tie_embeddings = false;   // tok_embeddings and output are one tensor
  RopeStyle rope_style = RopeStyle::interleaved;
  bool qk_norm = false;          // RMSNorm over hd on q and k, per head, before RoPE
  double qk_norm_eps = 1e-6;
  double attn_scale = 0;         // softmax scale; 0 = head_dim^-0.5
  std::string tok_embeddings, norm, output;  // [V, D], [D], [V, D]
  std::vector<LayerSpec> layers;
  AttentionKind attention = AttentionKind::gqa;
  MLASpec mla;                   // when attention == mla (n_heads is H; n_kv_heads, head_dim unused)

  std::int64_t n_layers() const { return static_cast<std::int64_t>(layers.size()); }
  //! The RoPE table's rotary width: head_dim, or MLA's qk_rope_head_dim.
  std::int64_t rope_dim() const { return attention == AttentionKind::mla ? mla.qk_rope_head_dim : head_dim; }
};

}  // namespace titan
