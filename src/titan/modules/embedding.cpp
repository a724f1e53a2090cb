#include "titan/modules/embedding.hpp"

#include "titan/core/errors.hpp"

namespace titan {

std::unique_ptr<Embedding> Embedding::Config::build(BuildContext const& ctx, BuildArgs args, ParameterPtr tied) const {
  return std::unique_ptr<Embedding>(new Embedding(*this, ctx, args, std::move(tied)));
}

Embedding::Embedding(Config const& config, BuildContext const& ctx, BuildArgs& args, ParameterPtr tied)
    : Module(config, ctx) {
  std::string const where = "Embedding.Config (" + fqn() + ")";
  _num_embeddings = args.take("num_embeddings", config.num_embeddings, where);
  _embedding_dim = args.take("embedding_dim", config.embedding_dim, where);
  args.expect_all_taken(where);
  if (tied) {
    require(tied->shape() == Shape({_num_embeddings, _embedding_dim}),
            where + ": tied weight " + tied->fqn() + " has shape " + describe(tied->shape()) + ", expected " +
                describe(Shape{_num_embeddings, _embedding_dim}));
    add_tied_parameter("weight", tied);
    _weight = std::move(tied);
  } else {
    _weight = add_parameter("weight", {_num_embeddings, _embedding_dim});
  }
}

}  // namespace titan
