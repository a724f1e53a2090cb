#include "titan/forward/forward.hpp"

#include "titan/train/comm_model.hpp"
#include "titan/train/load_balance.hpp"
#include "titan/train/moe_load.hpp"

#include "titan/compute/token_kernels.hpp"
#include "titan/compute/vocab_parallel_loss.hpp"
#include "titan/forward/forward_memory.hpp"
#include "titan/core/errors.hpp"
#include "titan/parallel/collective.hpp"
#include "titan/parallel/placement.hpp"
#include "titan/modules/tensor_parallel_plan.hpp"

#include <algorithm>
#include <climits>

namespace titan {

SequenceRange my_sequences(std::int64_t batch, MPI_Comm comm) {
  int rank = 0, world = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &world);
  auto const r = chunk_range(batch, world, rank);
  return {r[0], r[1]};
}

MPI_Comm data_parallel_comm(MeshComm const& mc) { return mc.along(mesh_dim_bit(dp_shard) | mesh_dim_bit(ep)); }

LanguageModel& as_language_model(Module& model) {
  auto* lm = dynamic_cast<LanguageModel*>(&model);
  if (lm == nullptr)
    throw InputError(std::string("the model's root is a ") + model.type_name() + ", which has no forward pass");
  return *lm;
}

ForwardOutcome run_forward(Module& model, Mesh const& mesh, MPI_Comm comm, bool mpi_device_pointers,
                           ForwardTokens const& tokens, bool gather_logits, std::function<void()> const& step_done) {
  int rank = 0, world = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &world);
  LanguageModel& lm = as_language_model(model);
  std::int64_t const B = tokens.batch, T = tokens.seq_len, V = lm.vocab_size();
  WeightStore store(mesh, comm, nullptr);
  store.set_tp_plan(plan_tensor_parallel(model, mesh));
  store.set_mpi_device_pointers(mpi_device_pointers);
  MPI_Comm const dp = data_parallel_comm(store.mesh_comm());  // the tp ranks share their sequences
  SequenceRange const seq = my_sequences(B, dp);
  std::int64_t const N = seq.count * T;
  int const n_tp = mesh.size(tp);
  // Vocabulary-parallel output: this rank's columns [v_lo, v_hi) of the logits.
  bool const vocab_split = store.split(*lm.output_weight());
  std::array<std::int64_t, 2> const v_range = store.row_range(*lm.output_weight());  // not a structured binding: lambdas below use it
  std::int64_t const v_lo = v_range[0], v_hi = v_range[1];
  std::int64_t const Vl = v_hi - v_lo;

  constexpr bool host_memory = Kokkos::SpaceAccessibility<HostSpace, MemSpace>::accessible;
  ForwardMemoryPlan const plan =
      plan_forward_memory(lm, model.parameters(), B, T, world, rank, gather_logits, !host_memory);
  StepContext ctx(store, comm);
  ctx.pass = "forward";
  ctx.planned_bytes = static_cast<double>(plan.total());
  ctx.n_seq = seq.count;
  ctx.first_sequence = seq.first;
  ctx.T = T;
  ctx.step_done = step_done;
  ctx.guarded([&] {
    ctx.logits = new_act("fwd:logits", N, Vl);  // the pass's largest buffer first: a pass that cannot hold it stops now
    ctx.tokens = TokenView("fwd:tokens", N);
    auto h = Kokkos::create_mirror_view(ctx.tokens);
    for (std::int64_t i = 0; i < N; ++i) h(i) = tokens.ids[static_cast<std::size_t>(seq.first * T + i)];
    Kokkos::deep_copy(ctx.tokens, h);
  });

  ForwardOutcome out;
  Kokkos::fence();
  MPI_Barrier(comm);
  double const t0 = MPI_Wtime();
  Act logits = lm.forward(ctx);
  Kokkos::fence();
  out.seconds = MPI_Wtime() - t0;
  out.flops = ctx.fc.flops;
  CommStats const& c = store.comm();
  out.comm_bytes = {c.all_gather.bytes, c.reduce_scatter.bytes, c.all_reduce.bytes, c.all_to_all.bytes};
  out.comm_seconds = {c.all_gather.seconds, c.reduce_scatter.seconds, c.all_reduce.seconds, c.all_to_all.seconds};
  StepCommBytes m = model_step_comm(lm, store.tp_plan(), mesh, mesh.coords(rank), false, N, false);
  m.all_to_all = moe_load(moe_layers(model), store, comm, 1, false).all_to_all_model;  // this pass's routing
  out.comm_model_bytes = {m.all_gather, m.reduce_scatter, m.all_reduce, m.all_to_all};

  // ---- Loss, fingerprint, logits to rank 0.
  double loss_sum = 0;
  std::uint64_t fp = 0;
  if (vocab_split) {  // every tp rank its columns: the fingerprint summed over all ranks
    VocabRowStats const s =
        vocab_row_stats(logits, ctx.tokens, T, v_lo, store.mesh_comm().along_dim(tp), store.mpi_device_pointers());
    ctx.guarded([&] {
      loss_sum = vocab_parallel_loss_sum(s, T);
      fp = vocab_columns_fingerprint(logits, seq.first * T, V, v_lo);
    });
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &fp, 1, MPI_UINT64_T, MPI_SUM, comm));
  } else {
    ctx.guarded([&] {
      loss_sum = cross_entropy_sum(logits, ctx.tokens, T);
      fp = logits_fingerprint(logits, static_cast<std::uint64_t>(seq.first * T * V));
    });
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &fp, 1, MPI_UINT64_T, MPI_SUM, dp));
  }
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &loss_sum, 1, MPI_DOUBLE, MPI_SUM, dp));
  out.loss = loss_sum / static_cast<double>(B * (T - 1));
  out.fingerprint = fp;
  out.planned_bytes = plan.total();  // the guard's figure (shards added below)
  for (auto const& p : model.parameters()) out.planned_bytes += p->local_bytes();
  if (gather_logits) {
    // Rank r holds the rows of its data-parallel index's sequences (tp
    // fastest: index r / tp) and, vocabulary-parallel, the columns of its tp
    // slice; otherwise tp rank 0 alone sends its rows. Rank 0 receives the
    // blocks in rank order and places them into [B * T, V].
    int const n_dp = world / n_tp;
    auto const block = [&](int r, std::int64_t& row0, std::int64_t& rows, std::int64_t& col0, std::int64_t& cols) {
      auto const seqs = chunk_range(B, n_dp, r / n_tp);
      row0 = seqs[0] * T;
      rows = seqs[1] * T;
      auto const vc = vocab_split ? chunk_range(V, n_tp, r % n_tp) : std::array<std::int64_t, 2>{0, r % n_tp == 0 ? V : 0};
      col0 = vc[0];
      cols = vc[1];
    };
    std::int64_t my_row0 = 0, my_rows = 0, my_col0 = 0, my_cols = 0;
    block(rank, my_row0, my_rows, my_col0, my_cols);
    std::int64_t const mine = my_rows * my_cols;
    decltype(Kokkos::create_mirror_view_and_copy(HostSpace(), logits)) host;
    std::vector<int> counts(static_cast<std::size_t>(world)), displs(static_cast<std::size_t>(world));
    std::vector<float> blocks;
    ctx.guarded([&] {
      host = Kokkos::create_mirror_view_and_copy(HostSpace(), logits);
      std::int64_t total = 0;
      for (int r = 0; r < world; ++r) {
        std::int64_t row0 = 0, rows = 0, col0 = 0, cols = 0;
        block(r, row0, rows, col0, cols);
        std::int64_t const n = rows * cols;
        if (n > INT_MAX || total > INT_MAX) throw RunError("--dump-logits: the logits are too large to gather (B*T*V > 2^31)");
        counts[r] = static_cast<int>(n);
        displs[r] = static_cast<int>(total);
        total += n;
      }
      if (rank == 0) {
        out.logits.resize(static_cast<std::size_t>(B * T * V));
        blocks.resize(static_cast<std::size_t>(total));
      }
    });
    TITAN_MPI_CHECK(MPI_Gatherv(host.data(), static_cast<int>(mine), MPI_FLOAT, blocks.data(), counts.data(),
                                displs.data(), MPI_FLOAT, 0, comm));
    if (rank == 0)
      for (int r = 0; r < world; ++r) {
        std::int64_t row0 = 0, rows = 0, col0 = 0, cols = 0;
        block(r, row0, rows, col0, cols);
        float const* src = blocks.data() + displs[r];
        for (std::int64_t i = 0; i < rows; ++i)
          std::copy(src + i * cols, src + (i + 1) * cols, out.logits.data() + (row0 + i) * V + col0);
      }
  }
  return out;
}

}  // namespace titan
