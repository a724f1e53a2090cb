#include "titan/modules/tensor_parallel_plan.hpp"

#include "titan/modules/attention.hpp"
#include "titan/modules/feed_forward.hpp"
#include "titan/modules/language_model.hpp"
#include "titan/modules/mla.hpp"

namespace titan {

namespace {

bool on_tp(ParameterPtr const& p, int dim) { return p && p->placements()[tp].shard_dim == dim; }

// A Linear split column-wise (weight and bias Shard(0) on tp) or row-wise
// (weight Shard(1), bias whole: added once after the sum).
bool column_ok(Linear const& l) { return on_tp(l.weight(), 0) && (!l.bias() || on_tp(l.bias(), 0)); }
bool row_ok(Linear const& l) { return on_tp(l.weight(), 1) && (!l.bias() || !l.bias()->placements()[tp].is_shard()); }

void add(TpPlan& plan, Linear const& l) {
  plan.split.insert(l.weight().get());
  if (l.bias() && l.bias()->placements()[tp].is_shard()) plan.split.insert(l.bias().get());
}

}  // namespace

bool tp_splits(Attention const& a, int n_tp) {
  return n_tp > 1 && a.n_heads() % n_tp == 0 && a.n_kv_heads() % n_tp == 0 && column_ok(*a.wq()) &&
         column_ok(*a.wk()) && column_ok(*a.wv()) && row_ok(*a.wo()) && (!a.sinks() || on_tp(a.sinks(), 0));
}

bool tp_splits(MLAttention const& a, int n_tp) {
  Linear const* q = a.wq() ? a.wq() : a.wq_b();
  return n_tp > 1 && a.n_heads() % n_tp == 0 && column_ok(*q) && column_ok(*a.wkv_b()) && row_ok(*a.wo());
}

bool tp_splits(FeedForward const& f, int n_tp) {
  return n_tp > 1 && f.hidden_dim() % n_tp == 0 && column_ok(*f.w1()) && column_ok(*f.w3()) && row_ok(*f.w2());
}

bool tp_splits_vocab(Parameter const& w, std::int64_t vocab, int n_tp) {
  return n_tp > 1 && w.placements()[tp].shard_dim == 0 && vocab % n_tp == 0;
}

namespace {

void visit(Module const& m, int n_tp, TpPlan& plan) {
  if (auto const* lm = dynamic_cast<LanguageModel const*>(&m)) {  // vocabulary-parallel embedding and output head
    plan.dim = lm->model_dim();
    plan.vocab_embedding = tp_splits_vocab(*lm->embedding_weight(), lm->vocab_size(), n_tp);
    plan.vocab_output = tp_splits_vocab(*lm->output_weight(), lm->vocab_size(), n_tp);
    if (plan.vocab_embedding) plan.split.insert(lm->embedding_weight());
    if (plan.vocab_output) plan.split.insert(lm->output_weight());
  }
  if (auto* a = dynamic_cast<Attention const*>(&m)) {
    if (tp_splits(*a, n_tp)) {
      for (Linear const* l : {a->wq(), a->wk(), a->wv(), a->wo()}) add(plan, *l);
      if (a->sinks()) plan.split.insert(a->sinks().get());
      plan.forward_sums.push_back(a->wo()->out_features());
      plan.backward_sums.push_back(a->wq()->in_features());
      for (auto const& c : m.children())  // the per-head norms: whole, each tp rank's gradient from its own heads
        if (auto const* n = dynamic_cast<RMSNorm const*>(c.second))
          for (auto const& p : n->parameters()) plan.partial.insert(p.get());
    }
    return;
  }
  if (auto const* a = dynamic_cast<MLAttention const*>(&m)) {  // wq or wq_b and wkv_b by heads, wo row; the low-rank path whole
    Linear const* q = a->wq() ? a->wq() : a->wq_b();
    if (tp_splits(*a, n_tp)) {
      for (Linear const* l : {q, a->wkv_b(), a->wo()}) add(plan, *l);
      plan.forward_sums.push_back(a->wo()->out_features());
      plan.backward_sums.push_back(a->wkv_b()->in_features());  // the compressed kv's gradient
      plan.backward_sums.push_back(a->rope_head_dim());         // k_pe's
      plan.backward_sums.push_back(q->in_features());           // x's (direct wq) or the low-rank q's
    }
    return;
  }
  if (auto* f = dynamic_cast<FeedForward const*>(&m)) {
    if (tp_splits(*f, n_tp)) {
      for (Linear const* l : {f->w1(), f->w2(), f->w3()}) add(plan, *l);
      plan.forward_sums.push_back(f->w2()->out_features());
      plan.backward_sums.push_back(f->w1()->in_features());
    }
    return;
  }
  for (auto const& c : m.children()) visit(*c.second, n_tp, plan);
}

}  // namespace

TpPlan plan_tensor_parallel(Module const& root, Mesh const& mesh) {
  TpPlan plan;
  if (mesh.size(tp) > 1) visit(root, mesh.size(tp), plan);
  return plan;
}

}  // namespace titan
