#include "titan/train/trainer.hpp"

#include "titan/compute/token_kernels.hpp"
#include "titan/compute/vocab_parallel_loss.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/memory_usage.hpp"
#include "titan/core/profile_region.hpp"
#include "titan/compute/param_gather.hpp"
#include "titan/forward/forward.hpp"
#include "titan/forward/safetensors.hpp"
#include "titan/modules/tensor_parallel_plan.hpp"
#include "titan/parallel/collective.hpp"
#include "titan/train/comm_model.hpp"
#include "titan/train/load_balance.hpp"
#include "titan/train/lr_schedule.hpp"
#include "titan/train/moe_load.hpp"

#include <cmath>
#include <sstream>

namespace titan {

namespace {

double max_over_ranks(double v, MPI_Comm comm) {
  double m = 0;
  TITAN_MPI_CHECK(MPI_Allreduce(&v, &m, 1, MPI_DOUBLE, MPI_MAX, comm));
  return m;
}

// Every gradient whole (gathered from the owners' boxes) into a safetensors
// file written by rank 0; collective, so that a write error ends every rank.
void dump_gradients(GradientSet const& grads, Mesh const& mesh, MPI_Comm comm, std::string const& path) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  MeshComm const mc(mesh, comm);
  ParamGather gather(mc);
  std::vector<std::vector<float>> full;
  for (auto const& g : grads.all()) {
    std::vector<float> v(static_cast<std::size_t>(g->numel()));
    View1<float> dev(Kokkos::view_alloc(Kokkos::WithoutInitializing, "train:dump"), v.size());
    gather.rows(*g, 0, g->shape()[0], dev.data());
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), dev);
    std::copy(h.data(), h.data() + v.size(), v.begin());
    full.push_back(std::move(v));
  }
  collective(comm, [&] {
    if (rank != 0) return;
    std::vector<SafeTensor> t;
    for (std::size_t i = 0; i < full.size(); ++i)
      t.push_back({grads.all()[i]->fqn(), "F32", grads.all()[i]->shape(), full[i].data(),
                   static_cast<std::int64_t>(full[i].size() * sizeof(float))});
    write_safetensors(path, t);
  });
}

// The step's traffic by collective kind (max over ranks) added into `sums`.
void add_step_comm(std::vector<TrainCommKind>& sums, CommStats const& c, MPI_Comm comm) {
  std::vector<std::pair<char const*, CommCounter const*>> const kinds = {
      {"all_gather", &c.all_gather}, {"reduce_scatter", &c.reduce_scatter}, {"all_reduce", &c.all_reduce},
      {"all_to_all", &c.all_to_all}};
  if (sums.empty())
    for (auto const& k : kinds) sums.push_back({k.first, 0, 0});
  std::vector<double> v;
  for (auto const& k : kinds) {
    v.push_back(k.second->bytes);
    v.push_back(k.second->seconds);
  }
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_DOUBLE, MPI_MAX, comm));
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    sums[i].bytes += v[2 * i];
    sums[i].seconds += v[2 * i + 1];
  }
}

std::string number(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

}  // namespace

TrainReport run_training(Module& model, Mesh const& mesh, MPI_Comm comm, TrainTokens const& tokens, AdamW& optimizer,
                         TrainRun const& run) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  LanguageModel& lm = as_language_model(model);
  TrainSettings const& s = run.settings;
  std::int64_t const B = tokens.batch(), T = tokens.seq_len();
  std::vector<ParameterPtr> const params = model.parameters();
  GradientSet grads(params, mesh, rank);
  WeightStore store(mesh, comm, &grads);
  store.set_prefetch(s.prefetch);
  store.set_mpi_device_pointers(run.mpi_device_pointers);
  store.set_tp_plan(plan_tensor_parallel(model, mesh));
  // The batch is split over the data-parallel ranks (dp_shard x ep); the tp
  // ranks of one data-parallel coordinate share its sequences.
  MPI_Comm const dp = data_parallel_comm(store.mesh_comm());
  SequenceRange const seq = my_sequences(B, dp);
  std::int64_t const N = seq.count * T;
  // Vocabulary-parallel output: this rank's columns [v_lo, v_hi) of the logits.
  bool const vocab_split = store.split(*lm.output_weight());
  std::array<std::int64_t, 2> const v_range = store.row_range(*lm.output_weight());  // not a structured binding: lambdas below use it
  std::int64_t const v_lo = v_range[0], v_hi = v_range[1];
  double const scale = 1.0 / static_cast<double>(B * (T - 1));  // the loss is the mean over every rank's predictions
  std::vector<MoE*> const moes = moe_layers(model);
  LrSchedule const schedule = make_lr_schedule(s, run.schedule_steps);
  AdamWHyper hyper;
  hyper.beta1 = s.beta1;
  hyper.beta2 = s.beta2;
  hyper.eps = s.eps;
  hyper.weight_decay = s.weight_decay;

  TrainReport report;
  report.batch = B;
  report.seq_len = T;
  report.tokens = tokens.source();
  report.activation_checkpointing = activation_checkpointing_name(s.activation_checkpointing);
  report.prefetch = s.prefetch;
  double steady_seconds = 0, all_to_all_model = 0;
  std::int64_t steady_steps = 0;
  for (std::int64_t step = run.first_step; step <= run.last_step; ++step) {
    ProfileRegion region("train_step");
    StepContext ctx(store, comm);
    ctx.pass = "training step " + std::to_string(step);
    ctx.first_sequence = seq.first;
    ctx.n_seq = seq.count;
    ctx.T = T;
    ctx.keep_for_backward = true;
    ctx.count_routing = true;
    ctx.checkpoint_blocks = s.activation_checkpointing == ActivationCheckpointing::full;
    if (step == run.first_step) ctx.fail_module = run.fail_module;
    ctx.guarded([&] {  // the step's largest buffer first
      ctx.logits = new_act("train:logits", N, v_hi - v_lo);
    });
    report.logits_bytes_max = static_cast<std::int64_t>(max_over_ranks(static_cast<double>(ctx.logits.span() * sizeof(float)), comm));
    {
      std::vector<std::int64_t> const all = tokens.for_step(step);
      std::vector<std::int64_t> const mine(all.begin() + seq.first * T, all.begin() + seq.first * T + N);
      ctx.tokens = TokenView("train:tokens", N);
      auto h = Kokkos::create_mirror_view(ctx.tokens);
      for (std::int64_t i = 0; i < N; ++i) h(i) = mine[static_cast<std::size_t>(i)];
      Kokkos::deep_copy(ctx.tokens, h);
      ctx.token_groups = group_tokens(mine);
    }
    grads.zero();
    store.reset_comm();
    Kokkos::fence();
    MPI_Barrier(comm);
    double const t0 = MPI_Wtime();

    // ---- forward to the loss
    Act logits = lm.forward(ctx);
    VocabRowStats row_stats;
    double loss_sum = 0;
    if (vocab_split) {
      row_stats =
          vocab_row_stats(logits, ctx.tokens, T, v_lo, store.mesh_comm().along_dim(tp), store.mpi_device_pointers());
      loss_sum = vocab_parallel_loss_sum(row_stats, T);
    } else {
      loss_sum = cross_entropy_sum(logits, ctx.tokens, T);
    }
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &loss_sum, 1, MPI_DOUBLE, MPI_SUM, dp));
    double const loss = loss_sum * scale;
    Kokkos::fence();
    double const t1 = MPI_Wtime();
    if (!std::isfinite(loss))
      throw RunError("training step " + std::to_string(step) + ": the loss is " + number(loss) +
                     " (not finite); stopped before updating, nothing saved");

    // ---- backward: dL/dlogits in place, then the module tree
    if (vocab_split)
      vocab_parallel_loss_grad(logits, ctx.tokens, T, v_lo, row_stats, scale);
    else
      cross_entropy_grad(logits, ctx.tokens, T, scale);
    row_stats = VocabRowStats();
    lm.backward(ctx, logits);
    logits = Act();
    ctx.logits = Act();
    Kokkos::fence();
    double const t2 = MPI_Wtime();

    if (step == run.first_step && !s.dump_gradients.empty()) dump_gradients(grads, mesh, comm, s.dump_gradients);

    // ---- optimizer: norm, clipping, load balancing, AdamW
    double const norm = global_grad_norm(grads, comm);
    if (!std::isfinite(norm))
      throw RunError("training step " + std::to_string(step) + ": the gradient norm is " + number(norm) +
                     " (not finite); stopped before updating, nothing saved");
    if (s.max_norm > 0) {
      double const c = clip_coefficient(norm, s.max_norm);
      if (c < 1.0) scale_gradients(grads, c);
    }
    {  // the experts' load and the dispatch's modelled bytes for this step's routing
      MoeLoad load = moe_load(moes, store, comm, ctx.checkpoint_blocks ? 3 : 2, step == run.last_step);
      all_to_all_model += load.all_to_all_model;
      report.moe.present = !moes.empty();
      report.moe.rows_max = load.rows_max;
      report.moe.rows_mean = load.rows_mean;
      report.moe.routed = std::move(load.routed);
      report.moe.computed = std::move(load.computed);
    }
    report.tokens_per_expert = update_expert_biases(moes, dp);  // each data-parallel coordinate's tokens once
    hyper.lr = schedule.lr(step);
    optimizer.update(grads, hyper);
    Kokkos::fence();
    double const t3 = MPI_Wtime();

    TrainStepRecord r;
    r.step = step;
    r.loss = loss;
    r.grad_norm = norm;
    r.lr = hyper.lr;
    r.seconds = max_over_ranks(t3 - t0, comm);
    r.moe_rows_max = report.moe.rows_max;
    r.moe_rows_mean = report.moe.rows_mean;
    report.forward_s += max_over_ranks(t1 - t0, comm);
    report.backward_s += max_over_ranks(t2 - t1, comm);
    report.optimizer_s += max_over_ranks(t3 - t2, comm);
    report.communication_s += max_over_ranks(store.comm().seconds(), comm);
    add_step_comm(report.comm, store.comm(), comm);
    report.overlapped_s += max_over_ranks(store.comm().overlapped, comm);
    double flops = ctx.fc.flops;
    report.flops_per_step_rank_max = max_over_ranks(flops, comm);
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &flops, 1, MPI_DOUBLE, MPI_SUM, comm));
    report.flops_per_step = flops;
    report.steps.push_back(r);
    if (step > run.first_step || run.first_step == run.last_step) {
      steady_seconds += r.seconds;
      ++steady_steps;
    }
    double const tps = steady_steps > 0 ? static_cast<double>(B * T) * steady_steps / steady_seconds
                                        : static_cast<double>(B * T) / r.seconds;
    report.tokens_per_s = tps;
    if (rank == 0 && run.after_step) run.after_step(r, static_cast<double>(B * T) / r.seconds);
  }
  StepCommBytes const modelled_step = model_step_comm(lm, store.tp_plan(), mesh, mesh.coords(rank), true, N,
                                                      s.activation_checkpointing == ActivationCheckpointing::full);
  std::vector<double> modelled = {modelled_step.all_gather, modelled_step.reduce_scatter, modelled_step.all_reduce,
                                  modelled_step.all_to_all};
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, modelled.data(), 4, MPI_DOUBLE, MPI_MAX, comm));
  modelled[3] = all_to_all_model / static_cast<double>(report.steps.size());  // each step's routing, max over the ranks
  for (std::size_t i = 0; i < report.comm.size(); ++i) {  // per step
    TrainCommKind& k = report.comm[i];
    k.bytes /= static_cast<double>(report.steps.size());
    k.seconds /= static_cast<double>(report.steps.size());
    k.model_bytes = modelled[i];
  }
  std::int64_t const rss = peak_resident_bytes();
  TITAN_MPI_CHECK(MPI_Allreduce(&rss, &report.peak_rss_min, 1, MPI_INT64_T, MPI_MIN, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&rss, &report.peak_rss_max, 1, MPI_INT64_T, MPI_MAX, comm));
  std::int64_t const state = optimizer.local_bytes();
  TITAN_MPI_CHECK(MPI_Allreduce(&state, &report.optimizer_state_bytes_max, 1, MPI_INT64_T, MPI_MAX, comm));
  return report;
}

}  // namespace titan
