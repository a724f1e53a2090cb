#include "titan/forward/forward.hpp"

#include "titan/core/errors.hpp"
#include "titan/core/human_bytes.hpp"
#include "titan/forward/block.hpp"
#include "titan/forward/forward_memory.hpp"
#include "titan/forward/gather.hpp"
#include "titan/forward/mla.hpp"
#include "titan/parallel/collective.hpp"

#include <algorithm>
#include <climits>
#include <map>
#include <memory>

namespace titan {

namespace {

using ParamMap = std::map<std::string, Parameter const*>;

ParamMap param_map(Module const& model) {
  ParamMap m;
  for (auto const& p : model.parameters()) {
    m[p->fqn()] = p.get();
    for (auto const& a : p->aliases()) m[a] = p.get();
  }
  return m;
}

// The model's RoPE table, its freqs_cis buffer [max_seq_len, rope_dim/2, 2]
// (one per model, titan's choice), viewed in three dimensions.
FreqsView rope_table(Module const& model) {
  for (auto const& b : model.buffers())
    if (b->fqn() == "freqs_cis" && b->shape().size() == 3 && b->allocated())
      return FreqsView(b->data().data(), b->shape()[0], b->shape()[1], b->shape()[2]);
  throw InputError("forward: the model has no freqs_cis buffer");
}

// A buffer [E] (MoE's expert_bias): float32, replicated on every rank, read in place.
FVec find_vector_buffer(Module const& model, std::string const& fqn, std::int64_t n) {
  for (auto const& b : model.buffers())
    if (b->fqn() == fqn) {
      if (b->shape() != Shape{n})
        throw InputError("forward: buffer '" + fqn + "' has shape " + describe(b->shape()) + ", the forward expects " +
                         describe(Shape{n}));
      if (!b->allocated()) throw InputError("forward: buffer '" + fqn + "' is not allocated");
      return FVec(b->data().data(), n);
    }
  throw InputError("forward: the model has no buffer '" + fqn + "'");
}

Parameter const& find(ParamMap const& m, std::string const& fqn) {
  auto it = m.find(fqn);
  if (it == m.end()) throw InputError("forward: the model has no parameter '" + fqn + "'");
  return *it->second;
}

// "layers.3" from a layer's attention_norm FQN "layers.3.attention_norm.weight".
std::string layer_name(LayerSpec const& l) {
  std::string const& n = l.attention_norm;
  std::size_t const second_dot = n.find('.', n.find('.') + 1);
  return second_dot == std::string::npos ? n : n.substr(0, second_dot);
}

}  // namespace

std::vector<std::pair<std::string, Shape>> forward_layer_weights(DecoderSpec const& s, LayerSpec const& l) {
  std::int64_t const D = s.dim, hd = s.head_dim, q = s.n_heads * hd, kv = s.n_kv_heads * hd;
  std::vector<std::pair<std::string, Shape>> w = {{l.attention_norm, {D}}, {l.ffn_norm, {D}}};
  if (s.attention == AttentionKind::mla) {
    auto const m = mla_layer_weights(s, l);
    w.insert(w.end(), m.begin(), m.end());
  } else {
    w.insert(w.end(), {{l.wq, {q, D}}, {l.wk, {kv, D}}, {l.wv, {kv, D}}, {l.wo, {D, q}}});
  }
  if (s.qk_norm) {
    w.push_back({l.q_norm, {hd}});
    w.push_back({l.k_norm, {hd}});
  }
  // gpt-oss: projection biases and the attention sinks, each when named.
  std::vector<std::pair<std::string, std::int64_t>> const vectors = {
      {l.wq_bias, q}, {l.wk_bias, kv}, {l.wv_bias, kv}, {l.wo_bias, D}, {l.sinks, s.n_heads}};
  for (auto const& [fqn, n] : vectors)
    if (!fqn.empty()) w.push_back({fqn, {n}});
  if (l.ffn == FfnKind::dense) {
    std::int64_t const F = l.ffn_hidden;
    w.push_back({l.w1, {F, D}});
    w.push_back({l.w2, {D, F}});
    w.push_back({l.w3, {F, D}});
  } else {
    MoESpec const& m = l.moe;
    w.push_back({m.router_gate, {m.num_experts, D}});
    if (!m.router_bias.empty()) w.push_back({m.router_bias, {m.num_experts}});
    if (m.experts == ExpertKind::gpt_oss) {
      w.push_back({m.mlp1, {m.num_experts, 2 * m.hidden, D}});
      w.push_back({m.mlp1_bias, {m.num_experts, 2 * m.hidden}});
      w.push_back({m.mlp2, {m.num_experts, D, m.hidden}});
      w.push_back({m.mlp2_bias, {m.num_experts, D}});
    } else {
      w.push_back({m.w1, {m.num_experts, m.hidden, D}});
      w.push_back({m.w2, {m.num_experts, D, m.hidden}});
      w.push_back({m.w3, {m.num_experts, m.hidden, D}});
    }
    if (m.shared_hidden > 0) {
      w.push_back({m.shared_w1, {m.shared_hidden, D}});
      w.push_back({m.shared_w2, {D, m.shared_hidden}});
      w.push_back({m.shared_w3, {m.shared_hidden, D}});
    }
  }
  return w;
}


void check_spec_against_model(Module const& model, DecoderSpec const& spec) {
  ParamMap const m = param_map(model);
  auto check = [&](std::string const& fqn, Shape const& shape) {
    Parameter const& p = find(m, fqn);
    if (p.shape() != shape)
      throw InputError("forward: parameter '" + fqn + "' has shape " + describe(p.shape()) + ", the forward expects " +
                       describe(shape));
  };
  check(spec.tok_embeddings, {spec.vocab_size, spec.dim});
  check(spec.norm, {spec.dim});
  check(spec.output, {spec.vocab_size, spec.dim});
  for (auto const& l : spec.layers) {
    for (auto const& [fqn, shape] : forward_layer_weights(spec, l)) check(fqn, shape);
    if (l.ffn == FfnKind::moe && !l.moe.expert_bias.empty())
      find_vector_buffer(model, l.moe.expert_bias, l.moe.num_experts);
  }
  require(spec.attention == AttentionKind::mla || (spec.n_kv_heads > 0 && spec.n_heads % spec.n_kv_heads == 0),
          "forward: n_kv_heads must divide n_heads");
  require(static_cast<std::int64_t>(rope_table(model).extent(1)) * 2 == spec.rope_dim(),
          "forward: the RoPE table's dim differs from the rotary width (head_dim, or MLA's qk_rope_head_dim)");
  for (auto const& l : spec.layers)  // torchtitan's node-limited routing refuses groups of one expert
    if (l.ffn == FfnKind::moe && l.moe.n_groups > 0)
      require(l.moe.num_experts % l.moe.n_groups == 0 && l.moe.num_experts / l.moe.n_groups >= 2 &&
                  l.moe.n_limited_groups >= 1 && l.moe.n_limited_groups <= l.moe.n_groups,
              "forward: node-limited routing needs n_expert_groups dividing num_experts into groups of >= 2 experts "
              "(num_experts = " + std::to_string(l.moe.num_experts) + ", n_expert_groups = " +
                  std::to_string(l.moe.n_groups) + ") and 1 <= n_limited_groups <= n_expert_groups");
}

ForwardOutcome run_forward(Module const& model, DecoderSpec const& spec, Mesh const& mesh, MPI_Comm comm,
                           ForwardTokens const& tokens, bool gather_logits,
                           std::function<void()> const& step_done) {
  auto step = [&] {
    if (step_done) step_done();
  };
  int rank = 0, world = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &world);
  ParamMap const pm = param_map(model);
  FreqsView const freqs = rope_table(model);
  std::int64_t const B = tokens.batch, T = tokens.seq_len, D = spec.dim, V = spec.vocab_size;
  auto const seq = chunk_range(B, world, rank);  // this rank's sequences [b0, b0 + n_seq)
  std::int64_t const b0 = seq[0], n_seq = seq[1], N = n_seq * T;

  // ---- Scratch, allocated once, as the memory guard planned it: one
  // block's full parameters, a head chunk, activations, the gathers' staging.
  constexpr bool host_memory = Kokkos::SpaceAccessibility<HostSpace, MemSpace>::accessible;
  ForwardMemoryPlan const plan = plan_forward_memory(spec, B, T, world, rank, gather_logits, !host_memory);
  std::int64_t const pool_elems = plan.pool_elems, chunk_rows = plan.chunk_rows;
  View1<float> pool, head;
  Kokkos::View<float**, Layout, MemSpace> head_out, x, logits;
  std::unique_ptr<Activations> act_ptr;
  TokenView tok;
  ParamGather gather(mesh, comm);
  collective(comm, [&] {  // an allocation failing on one rank fails the pass on all
    try {
      pool = View1<float>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "fwd:block_params"), pool_elems);
      head = View1<float>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "fwd:head_chunk"), chunk_rows * D);
      head_out = Kokkos::View<float**, Layout, MemSpace>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "fwd:head_out"),
                                                         N, chunk_rows);
      x = Kokkos::View<float**, Layout, MemSpace>("fwd:x", N, D);
      logits = Kokkos::View<float**, Layout, MemSpace>(Kokkos::view_alloc(Kokkos::WithoutInitializing, "fwd:logits"), N, V);
      act_ptr = std::make_unique<Activations>(spec, n_seq, T);
      tok = TokenView("fwd:tokens", N);
      auto h = Kokkos::create_mirror_view(tok);
      for (std::int64_t i = 0; i < N; ++i) h(i) = tokens.ids[static_cast<std::size_t>(b0 * T + i)];
      Kokkos::deep_copy(tok, h);
      gather.reserve(plan.gather_elems);
    } catch (std::exception const& e) {  // std::bad_alloc, or Kokkos' runtime_error for a failed allocation
      throw RunError("forward: allocating the pass's " + human_bytes(static_cast<double>(plan.total())) +
                     " of buffers failed (the memory guard counts them: was it overridden with --force?): " + e.what());
    }
    if (act_ptr->bytes() != plan.block_activations)  // plan_forward_memory must count what is allocated
      throw RunError("internal: the forward's activations take " + std::to_string(act_ptr->bytes()) +
                     " bytes but the memory plan counted " + std::to_string(plan.block_activations));
  });
  Activations& act = *act_ptr;
  // Names what held non-finite values, on every rank (after a step of this rank's).
  auto require_finite = [&](FMat v, std::string const& where) {
    std::int64_t const bad = count_non_finite(v);
    if (bad > 0)
      throw RunError("forward: " + std::to_string(bad) + " non-finite values (NaN or Inf) in " + where + " (sequences " +
                     std::to_string(b0) + "-" + std::to_string(b0 + n_seq - 1) + " of the batch, on rank " +
                     std::to_string(rank) + ")");
  };

  ForwardOutcome out;
  FlopCounter fc;
  Kokkos::fence();
  MPI_Barrier(comm);
  double const t0 = MPI_Wtime();

  // Rows [r0, r1) of p as float32: its own View when every rank holds all of
  // it in float32, else gathered into `scratch`.
  auto rows_of = [&](Parameter const& p, std::int64_t r0, std::int64_t r1, float* scratch) -> float* {
    std::int64_t row = 1;
    for (std::size_t d = 1; d < p.shape().size(); ++d) row *= p.shape()[d];
    if (gather.fully_local(p)) return p.f32().data() + r0 * row;
    gather.rows(p, r0, r1, scratch);
    return scratch;
  };

  // ---- Embedding, gathered in vocabulary chunks. Each step between two
  // collectives runs inside collective(): a failure on one rank is every rank's.
  Parameter const& emb = find(pm, spec.tok_embeddings);
  for (std::int64_t v0 = 0; v0 < V; v0 += chunk_rows) {
    std::int64_t const v1 = std::min(V, v0 + chunk_rows);
    FMat w(rows_of(emb, v0, v1, head.data()), v1 - v0, D);
    collective(comm, [&] { embed_chunk(tok, w, v0, x); });
  }
  collective(comm, [&] { require_finite(x, "the embedding's output ('" + spec.tok_embeddings + "')"); });
  step();

  // ---- Blocks: gather the block's parameters into the pool, compute, drop.
  for (auto const& l : spec.layers) {
    std::map<std::string, float*> at;
    std::int64_t used = 0;
    for (auto const& [fqn, shape] : forward_layer_weights(spec, l)) {
      Parameter const& p = find(pm, fqn);
      at[fqn] = rows_of(p, 0, shape[0], pool.data() + used);
      used += numel(shape);
    }
    std::int64_t const hd = spec.head_dim, q = spec.n_heads * hd, kv = spec.n_kv_heads * hd;
    BlockWeights w;
    w.attention_norm = FVec(at[l.attention_norm], D);
    w.ffn_norm = FVec(at[l.ffn_norm], D);
    if (spec.attention == AttentionKind::mla) {
      w.mla = mla_block_weights(spec, l, at);
    } else {
      w.wq = FMat(at[l.wq], q, D);
      w.wk = FMat(at[l.wk], kv, D);
      w.wv = FMat(at[l.wv], kv, D);
      w.wo = FMat(at[l.wo], D, q);
    }
    if (spec.qk_norm) {
      w.q_norm = FVec(at[l.q_norm], hd);
      w.k_norm = FVec(at[l.k_norm], hd);
    }
    auto vec = [&](std::string const& fqn, std::int64_t n) { return fqn.empty() ? FVec() : FVec(at[fqn], n); };
    w.bq = vec(l.wq_bias, q);
    w.bk = vec(l.wk_bias, kv);
    w.bv = vec(l.wv_bias, kv);
    w.bo = vec(l.wo_bias, D);
    w.sinks = vec(l.sinks, spec.n_heads);
    if (l.ffn == FfnKind::moe && l.moe.experts == ExpertKind::gpt_oss) {
      MoESpec const& m = l.moe;
      std::int64_t const E = m.num_experts, Fm = m.hidden;
      GptOssMoEWeights& g = w.gpt_oss_moe;
      g.gate = FMat(at[m.router_gate], E, D);
      g.gate_bias = vec(m.router_bias, E);
      g.mlp1 = F3(at[m.mlp1], E, 2 * Fm, D);
      g.mlp1_bias = FMat(at[m.mlp1_bias], E, 2 * Fm);
      g.mlp2 = F3(at[m.mlp2], E, D, Fm);
      g.mlp2_bias = FMat(at[m.mlp2_bias], E, D);
      if (!m.expert_bias.empty()) g.expert_bias = find_vector_buffer(model, m.expert_bias, E);
    } else if (l.ffn == FfnKind::dense) {
      w.w1 = FMat(at[l.w1], l.ffn_hidden, D);
      w.w2 = FMat(at[l.w2], D, l.ffn_hidden);
      w.w3 = FMat(at[l.w3], l.ffn_hidden, D);
    } else {
      MoESpec const& m = l.moe;
      w.moe.gate = FMat(at[m.router_gate], m.num_experts, D);
      w.moe.w1 = F3(at[m.w1], m.num_experts, m.hidden, D);
      w.moe.w2 = F3(at[m.w2], m.num_experts, D, m.hidden);
      w.moe.w3 = F3(at[m.w3], m.num_experts, m.hidden, D);
      if (m.shared_hidden > 0) {
        w.moe.sw1 = FMat(at[m.shared_w1], m.shared_hidden, D);
        w.moe.sw2 = FMat(at[m.shared_w2], D, m.shared_hidden);
        w.moe.sw3 = FMat(at[m.shared_w3], m.shared_hidden, D);
      }
      if (!m.expert_bias.empty()) w.moe.expert_bias = find_vector_buffer(model, m.expert_bias, m.num_experts);
    }
    collective(comm, [&] {
      block_forward(spec, l, w, freqs, act, x, fc);
      require_finite(x, "the output of layer '" + layer_name(l) + "'");
    });
    step();
  }

  // ---- Final norm and the output head, gathered in vocabulary chunks.
  FVec norm_w(rows_of(find(pm, spec.norm), 0, D, pool.data()), D);
  collective(comm, [&] { rms_norm(x, norm_w, spec.norm_eps, x); });
  Parameter const& output = find(pm, spec.output);
  for (std::int64_t v0 = 0; v0 < V; v0 += chunk_rows) {
    std::int64_t const v1 = std::min(V, v0 + chunk_rows);
    FMat w(rows_of(output, v0, v1, head.data()), v1 - v0, D);
    FMat y(head_out.data(), N, v1 - v0);
    collective(comm, [&] {
      linear(x, w, y, fc);
      copy_columns(y, logits, v0);
    });
  }
  collective(comm, [&] {
    Kokkos::fence();
    require_finite(logits, "the logits (after '" + spec.norm + "' and '" + spec.output + "')");
  });
  step();
  out.seconds = MPI_Wtime() - t0;
  out.flops = fc.flops;

  // ---- Loss, fingerprint, logits to rank 0.
  double loss_sum = 0;
  std::uint64_t fp = 0;
  collective(comm, [&] {
    loss_sum = cross_entropy_sum(logits, tok, T);
    fp = logits_fingerprint(logits, static_cast<std::uint64_t>(b0 * T * V));
  });
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &loss_sum, 1, MPI_DOUBLE, MPI_SUM, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &fp, 1, MPI_UINT64_T, MPI_SUM, comm));
  out.loss = loss_sum / static_cast<double>(B * (T - 1));
  out.fingerprint = fp;
  out.planned_bytes = plan.total();  // the guard's figure (shards added below)
  for (auto const& p : model.parameters()) out.planned_bytes += p->local_bytes();
  if (gather_logits) {
    std::int64_t const mine = N * V;
    decltype(Kokkos::create_mirror_view_and_copy(HostSpace(), logits)) host;
    std::vector<int> counts(static_cast<std::size_t>(world)), displs(static_cast<std::size_t>(world));
    collective(comm, [&] {
      host = Kokkos::create_mirror_view_and_copy(HostSpace(), logits);
      std::int64_t total = 0;
      for (int r = 0; r < world; ++r) {
        std::int64_t const n = chunk_range(B, world, r)[1] * T * V;
        if (n > INT_MAX || total > INT_MAX) throw RunError("--dump-logits: the logits are too large to gather (B*T*V > 2^31)");
        counts[r] = static_cast<int>(n);
        displs[r] = static_cast<int>(total);
        total += n;
      }
      if (rank == 0) out.logits.resize(static_cast<std::size_t>(total));
    });
    TITAN_MPI_CHECK(MPI_Gatherv(host.data(), static_cast<int>(mine), MPI_FLOAT, out.logits.data(), counts.data(),
                                displs.data(), MPI_FLOAT, 0, comm));
  }
  return out;
}

}  // namespace titan
