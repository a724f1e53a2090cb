// The decoder root: tok_embeddings, layers.{0..L-1}, norm, output, and the
// model's one RoPE buffer freqs_cis (titan_app's choice: one per model).
#pragma once

#include "titan/modules/embedding.hpp"
#include "titan/modules/linear.hpp"
#include "titan/modules/rms_norm.hpp"
#include "titan/modules/rope.hpp"
#include "titan/modules/transformer_block.hpp"

#include <vector>

namespace titan {

class Decoder final : public Module {
 public:
  struct Config : ModuleConfig {
    std::int64_t vocab_size = 0;
    std::int64_t dim = 0;
    bool tie_embeddings = false;  // tok_embeddings.weight is output.weight
    Embedding::Config tok_embeddings;
    std::vector<TransformerBlock::Config> layers;  // one per layer (init stds depend on the layer)
    RMSNorm::Config norm;
    Linear::Config output;
    RoPEConfig rope;  // rope.dim = head_dim, filled at build
    std::unique_ptr<Decoder> build(BuildContext const& ctx) const;
  };

  char const* type_name() const override { return "Decoder"; }
  //! freqs_cis [max_seq_len, head_dim/2, 2] float32, replicated on every
  //! rank, stored flat (row-major): element (p, j, c) is at (p * head_dim/2 + j) * 2 + c.
  View1<float> const& freqs_cis() const { return _freqs_cis; }
  RoPEConfig const& rope() const { return _rope; }
  std::int64_t num_layers() const { return _num_layers; }

 protected:
  void init_own_buffers(InitContext& ctx) override;  // computes freqs_cis

 private:
  Decoder(Config const& config, BuildContext const& ctx);
  RoPEConfig _rope;
  std::int64_t _num_layers = 0;
  View1<float> _freqs_cis;  // [max_seq_len, head_dim/2, 2], flat
};

//! Elements of the freqs_cis buffer, max_seq_len * (dim/2) * 2, in checked
//! arithmetic (its bytes too); throws InputError when they overflow.
std::int64_t freqs_cis_elements(RoPEConfig const& rope);

}  // namespace titan
