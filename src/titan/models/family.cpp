#include "titan/models/family.hpp"

#include "titan/core/errors.hpp"

namespace titan {

Decoder::Config make_model_config(Deck const& deck, Mesh const& mesh) {
  Llama3Args const& a = deck.llama3;
  int const t = mesh.size(tp);
  std::int64_t const kv = a.n_kv_heads.value_or(a.n_heads);
  require(a.n_heads % t == 0 && kv % t == 0,
          "[mesh] tp = " + std::to_string(t) + " must divide n_heads = " + std::to_string(a.n_heads) +
              " and n_kv_heads = " + std::to_string(kv) + " (tensor parallelism splits whole heads)");
  require(mesh.size(ep) == 1, "[mesh] ep = " + std::to_string(mesh.size(ep)) + " but " + deck.family +
                                  " has no routed experts to split; use ep = 1");
  return llama3_config(a);
}

std::int64_t activated_params(Deck const&, std::int64_t total) { return total; }

}  // namespace titan
