#include "titan/modules/decoder.hpp"

#include "titan/core/checked_size.hpp"
#include "titan/core/errors.hpp"
#include "titan/modules/rope_table.hpp"

namespace titan {

std::unique_ptr<Decoder> Decoder::Config::build(BuildContext const& ctx) const {
  return std::unique_ptr<Decoder>(new Decoder(*this, ctx));
}

Decoder::Decoder(Config const& config, BuildContext const& ctx) : Module(config, ctx) {
  std::string const where = "Decoder.Config";
  require(config.vocab_size > 0, "[model] vocab_size must be > 0 (got " + std::to_string(config.vocab_size) + ")");
  require(config.dim > 0, "[model] dim must be > 0 (got " + std::to_string(config.dim) + ")");
  require(!config.layers.empty(), "[model] n_layers must be > 0");
  _num_layers = static_cast<std::int64_t>(config.layers.size());
  _rope = config.rope;  // the family sets its rotary width (rope.dim)
  _rope.validate("[model]");

  // The output head is built first so that a tied embedding can share its
  // weight; registration order (= init order) stays torchtitan's.
  BuildArgs output_args{{"in_features", config.dim}, {"out_features", config.vocab_size}};
  auto output = config.output.build(ctx.child("output"), output_args);
  ParameterPtr tied = config.tie_embeddings ? output->weight() : nullptr;
  _vocab_size = config.vocab_size;
  _dim = config.dim;
  _ep_ranks = ctx.mesh.size(ep);
  _tok_embeddings = &add_child("tok_embeddings",
            config.tok_embeddings.build(ctx.child("tok_embeddings"),
                                        {{"num_embeddings", config.vocab_size}, {"embedding_dim", config.dim}}, tied));
  auto layers = std::make_unique<ModuleList>(ctx.child("layers"));
  for (std::size_t i = 0; i < config.layers.size(); ++i)
    _blocks.push_back(
        &layers->append(config.layers[i].build(ctx.child("layers").child(std::to_string(i)), {{"dim", config.dim}})));
  add_child("layers", std::move(layers));
  _norm = &add_child("norm", config.norm.build(ctx.child("norm"), {{"normalized_shape", config.dim}}));
  _output = &add_child("output", std::move(output));
  for (TransformerBlock const* b : _blocks) {
    std::vector<Parameter const*> ps;
    for (auto const& p : b->parameters()) ps.push_back(p.get());
    _block_params.push_back(std::move(ps));
  }

  _freqs_cis = add_buffer("freqs_cis", {_rope.max_seq_len, _rope.dim / 2, 2});
}

void Decoder::init_own_buffers(InitContext& ctx) {
  if (_freqs_cis->allocated()) fill_rope_buffer(_rope, _freqs_cis->data(), ctx.buffer_progress);
}

}  // namespace titan
