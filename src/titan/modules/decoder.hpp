// The decoder root: tok_embeddings, layers.{0..L-1}, norm, output, and the
// model's one RoPE buffer freqs_cis (titan_app's choice: one per model).
#pragma once

#include "titan/modules/embedding.hpp"
#include "titan/modules/language_model.hpp"
#include "titan/modules/linear.hpp"
#include "titan/modules/model_config.hpp"
#include "titan/modules/rms_norm.hpp"
#include "titan/modules/rope.hpp"
#include "titan/modules/transformer_block.hpp"

#include <vector>

namespace titan {

class Decoder final : public Module, public LanguageModel {
 public:
  struct Config : ModuleConfig, ModelConfig {
    std::int64_t vocab_size = 0;
    std::int64_t dim = 0;
    bool tie_embeddings = false;  // tok_embeddings.weight is output.weight
    Embedding::Config tok_embeddings;
    std::vector<TransformerBlock::Config> layers;  // one per layer (init stds depend on the layer)
    RMSNorm::Config norm;
    Linear::Config output;
    //! The model's one RoPE table (freqs_cis); the family sets every field,
    //! rope.dim included (the rotary width, usually head_dim). Layers without
    //! RoPE (NoPE) simply do not use it.
    RoPEConfig rope;
    std::unique_ptr<Decoder> build(BuildContext const& ctx) const;
    std::unique_ptr<Module> build_model(BuildContext const& ctx) const override { return build(ctx); }
    std::optional<TokenShape> token_shape() const override { return TokenShape{vocab_size, rope.max_seq_len}; }
  };

  char const* type_name() const override { return "Decoder"; }
  //! freqs_cis [max_seq_len, rope.dim/2, 2] float32 (row-major), replicated on every rank.
  View1<float> const& freqs_cis() const { return _freqs_cis->data(); }
  RoPEConfig const& rope() const { return _rope; }
  std::int64_t num_layers() const { return _num_layers; }

  std::int64_t vocab_size() const override { return _vocab_size; }
  Parameter const* embedding_weight() const override { return _tok_embeddings->weight().get(); }
  Parameter const* output_weight() const override { return _output->weight().get(); }
  int tp_size() const override { return build_context().mesh.size(tp); }
  int expert_ranks() const override { return build_context().mesh.size(ep); }
  std::int64_t logits_columns() const override;
  std::int64_t max_seq_len() const override { return _rope.max_seq_len; }
  //! Embedding, the blocks (each gathered just before it computes), the
  //! final norm and the output head (gathered in vocabulary chunks).
  Act forward(StepContext& ctx) override;
  void backward(StepContext& ctx, Act const& dlogits) override;
  //! Rows of a vocabulary chunk of the embedding and output head (64 MiB of float32).
  std::int64_t vocab_chunk_rows() const override;
  std::int64_t model_dim() const override { return _dim; }
  std::int64_t largest_block_numel() const override;
  std::int64_t largest_gathered_block_numel() const override;
  std::int64_t largest_parameter_numel() const override;
  bool computes_from_local_shards() const override;

 private:
  //! The largest block's kept regions (compute_keep), all of them or only
  //! those not held whole in float32 (gathered); the final norm at least.
  std::int64_t largest_block_regions(bool gathered_only) const;

 public:
  std::int64_t num_blocks() const override { return static_cast<std::int64_t>(_blocks.size()); }
  BlocksBytes blocks_activation_bytes(std::int64_t n_seq, std::int64_t T) const override;
  std::vector<ParamUse> param_uses(bool training) const override;
  double train_step_flops(std::int64_t n_seq, std::int64_t T, bool checkpointing) const override;

 protected:
  void init_own_buffers(InitContext& ctx) override;  // computes freqs_cis

 private:
  Decoder(Config const& config, BuildContext const& ctx);
  RoPEConfig _rope;
  std::int64_t _num_layers = 0;
  BufferPtr _freqs_cis;  // [max_seq_len, rope.dim/2, 2]
  std::int64_t _vocab_size = 0, _dim = 0;
  Embedding* _tok_embeddings = nullptr;
  std::vector<TransformerBlock*> _blocks;
  std::vector<std::vector<Parameter const*>> _block_params;  // each block's parameters, gathered together
  RMSNorm* _norm = nullptr;
  Linear* _output = nullptr;
  std::vector<Act> _block_inputs;  // activation checkpointing: each block's input
};

}  // namespace titan
