#include "titan/app/run_phases.hpp"

#include "titan/app/layout_verification.hpp"
#include "titan/app/plan.hpp"
#include "titan/app/progress.hpp"
#include "titan/app/run_state.hpp"
#include "titan/app/train_plan.hpp"
#include "titan/core/bf16.hpp"
#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/memory_usage.hpp"
#include "titan/forward/forward.hpp"
#include "titan/forward/forward_phase.hpp"
#include "titan/init/fingerprint.hpp"
#include "titan/models/registry.hpp"
#include "titan/modules/linear.hpp"
#include "titan/parallel/collective.hpp"
#include "titan/train/load_balance.hpp"
#include "titan/train/train_phase.hpp"
#include "titan/version.hpp"

#include <Kokkos_Core.hpp>

#include <cmath>

namespace titan {
namespace {

using Kind = Phase::Kind;

bool real_run(RunState const& s) { return !s.opt.dry_run; }

void record_load(RunReport& report, RankLoad const& load) {
  report.params_min_per_rank = load.params_min;
  report.params_max_per_rank = load.params_max;
  report.bytes_min_per_rank = load.bytes_min;
  report.bytes_max_per_rank = load.bytes_max;
  report.bytes_avg_per_rank = load.bytes_avg;
  report.largest_shard_bytes = load.largest_shard_bytes;
  report.largest_shard_fqn = load.largest_shard_fqn;
}

ParameterReport describe_parameter(Parameter const& p, InitSpec const* init) {
  ParameterReport r;
  r.fqn = p.fqn();
  r.shape = p.shape();
  r.dtype = dtype_name(p.dtype());
  for (int m = 0; m < num_mesh_dims; ++m) r.placements.emplace_back(mesh_dim_name(m), p.placements()[m].describe());
  r.aliases = p.aliases();
  r.init = init ? init->describe() : "none";
  if (init) r.init_spec = *init;
  return r;
}

// A plain Kokkos fill of every local shard with zeros: the same bytes and
// the same launches per parameter as init_states, the baseline it is
// measured against.
void fill_zeros(std::vector<ParameterPtr> const& params) {
  for (auto const& p : params)
    if (p->allocated()) p->visit([](auto const& v) { Kokkos::deep_copy(v, 0); });
}

// ---- build: the module tree (local shards allocated unless a dry run), the
// model's totals, the tensors a --load reads and a --save writes.
void phase_build(RunState& s, PhaseTimer&) {
  collective(s.w.comm, [&] {
    BuildContext ctx;
    ctx.mesh = s.mesh;
    ctx.rank = s.opt.dry_run ? 0 : s.w.rank;
    ctx.dtype = s.deck.run.dtype;
    ctx.allocate = !s.opt.dry_run;
    ctx.overrides = &s.deck.overrides;
    s.model = s.model_config->build_model(ctx);
    s.deck.overrides.expect_all_matched();
  });
  s.params = s.model->parameters();
  for (auto const& p : s.params) {
    s.report.params_total += p->numel();
    s.report.bytes_total += p->numel() * static_cast<std::int64_t>(dtype_size(p->dtype()));
  }
  s.report.params_activated = find_family(s.deck.family).activated_params(*s.deck.model, s.report.params_total);
  if (s.ckpt.save.empty() && !s.loading) return;
  collective(s.w.comm, [&] {
    std::vector<BufferPtr> const buffers = s.model->buffers();
    if (s.loading) s.load_tensors = checkpoint_tensors(s.params, buffers, s.ckpt.load_adapter());
    if (!s.ckpt.save.empty()) s.save_tensors = checkpoint_tensors(s.params, buffers, s.ckpt.save_adapter());
  });
  // Free space for the tensors plus a generous allowance for the headers.
  if (!s.ckpt.save.empty())
    s.saver.check_space(s.w.comm, static_cast<std::uint64_t>(s.report.bytes_total) + (std::uint64_t(1) << 20));
}

// ---- plan (dry run): the layout's loads per rank and every parameter described.
void phase_plan(RunState& s, PhaseTimer&) {
  record_load(s.report, plan_layout(s.params, s.mesh).load());
  for (auto const& p : s.params) s.report.parameters.push_back(describe_parameter(*p, p->resolved_init()));
}

// ---- train_plan (dry run with --train): the training-memory plan of the
// largest rank, its FLOPs, whether it fits (train_plan.hpp).
void phase_train_plan(RunState& s, PhaseTimer&) {
  MemoryRoom const room =
      planned_rank_memory(s.w.comm, s.opt.memory_per_rank, s.deck.debug.memory_available, s.device.device_id);
  collective(s.w.comm, [&] {
    TrainPlanInput in;
    in.config = s.model_config.get();
    in.build.mesh = s.mesh;
    in.build.dtype = s.deck.run.dtype;
    in.build.overrides = &s.deck.overrides;
    in.model = s.model.get();
    in.settings = s.deck.train;
    in.batch = s.train_tokens->batch();
    in.seq_len = s.train_tokens->seq_len();
    in.runtime_bytes = s.baseline_rss;
    in.memory_per_rank = room;
    s.report.train_plan = plan_training(in);
  });
}

// ---- fill: the baseline, a plain fill of the same bytes: twice, the first
// touching fresh pages (so neither it nor init_states pays for first touch),
// the second timed.
void phase_fill(RunState& s, PhaseTimer& timer) {
  fill_zeros(s.params);
  for (BufferPtr const& b : s.model->buffers())  // first touch of the buffers too (a RoPE table can be GBs)
    if (b->allocated()) Kokkos::deep_copy(b->data(), 0.0f);
  Kokkos::fence();
  double const t0 = MPI_Wtime();
  fill_zeros(s.params);
  Kokkos::fence();
  timer.set_seconds(MPI_Wtime() - t0);
}

// ---- init_states (run.repeat times, one warm-up first when repeating; the
// best repetition is the phase's time), or load: buffers initialized, the
// parameters read from the checkpoint.
void phase_init_or_load(RunState& s, PhaseTimer& timer) {
  World const& w = s.w;
  s.my_elems = local_params(s.params);
  double buffer_elems = 0;  // buffers are initialized in init_states too (the RoPE table can be GBs)
  for (BufferPtr const& b : s.model->buffers()) buffer_elems += b->allocated() ? static_cast<double>(b->numel()) : 0.0;
  int const reps = s.loading ? 1 : s.deck.run.repeat > 1 ? s.deck.run.repeat + 1 : 1;
  double best = 1e300;
  s.profile = std::make_unique<InitProfile>(s.opt.profile);  // a fence per parameter only when the profile is asked for
  s.statistics = std::make_unique<RunStatistics>(s.params);  // filled by the init kernels as they store
  s.report.loaded = s.loading;
  for (int rep = 0; rep < reps; ++rep) {
    double local = 0;
    collective(w.comm, [&] {
      Progress progress(reps > 1 ? "init_states (repetition " + std::to_string(rep + 1) + "/" + std::to_string(reps) + ")"
                                 : std::string("init_states"),
                        static_cast<double>(s.my_elems) + buffer_elems, s.progress_on);
      InitContext ictx;
      ictx.buffer_progress = [&](double elements) { progress.advance(elements); };
      ictx.seed = s.deck.run.seed;
      ictx.after_parameter = [&](Parameter const& p) {
        s.profile->record(p);
        progress.advance(static_cast<double>(p.local_numel()));
      };
      ictx.parameter_stats = [&](Parameter const& p, ValueStats const& st) { s.statistics->record(p, st); };
      ictx.fill_parameters = !s.loading;  // --load: buffers only; the checkpoint fills the parameters
      s.profile->start();                 // the profile keeps the last repetition
      Kokkos::fence();
      double const t0 = MPI_Wtime();
      s.model->init_states(ictx);
      if (s.loading) {
        // The statistics of what is read, slab by slab from the staging buffer (no second pass).
        SlabHook const slab_stats = [&](ShardedTensor const& t, void const* v, std::int64_t begin, std::int64_t n) {
          s.statistics->add_part(dynamic_cast<Parameter const&>(t), host_values_stats(t, v, begin, n));
        };
        s.report.checkpoints.push_back(load_checkpoint(
            w.comm, s.ckpt.load, s.load_tensors, s.ckpt.load_adapter(), s.deck.run.dtype, s.ckpt.convert,
            static_cast<std::uint64_t>(s.ckpt.deck.buffer_bytes), &s.loaded_metadata,
            {s.deck.family, s.deck.flavor, checkpoint_names_name(s.ckpt.load_names)}, slab_stats));
        s.report.checkpoints.back().names = checkpoint_names_name(s.ckpt.load_names);
      }
      Kokkos::fence();
      local = MPI_Wtime() - t0;
      progress.finish();
    });
    if (reps == 1 || rep > 0) best = std::min(best, local);
  }
  timer.set_seconds(best);
}

// ---- stats: the statistics the init kernels (or the load) computed as they
// stored, plus what nothing filled, reduced over the ranks; the fingerprints;
// a loaded model checked against its checkpoint.
void phase_stats(RunState& s, PhaseTimer&) {
  World const& w = s.w;
  std::vector<BufferPtr> const buffers = s.model->buffers();
  std::vector<std::uint64_t> buffer_fp(buffers.size(), 0);
  collective(w.comm, [&] {
    for (std::size_t i = 0; i < buffers.size(); ++i)
      if (buffers[i]->allocated()) buffer_fp[i] = values_fingerprint(buffers[i]->data());
    Progress progress("stats", static_cast<double>(s.my_elems), s.progress_on);
    s.statistics->gather_local([&](double e) { progress.advance(e); });
    progress.finish();
  });
  std::vector<ValueStats> const totals = s.statistics->reduce(w.comm);
  std::size_t const n = s.params.size();
  s.fingerprints.assign(n, 0);  // per parameter (the checkpoint's index carries them)
  s.model_fingerprint = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ParameterReport r = describe_parameter(*s.params[i], s.params[i]->resolved_init());
    if (s.loading) {
      r.init = "loaded";
      r.init_spec.reset();
    }
    ValueStats const& st = totals[i];
    r.mean = st.mean();
    r.std = st.std();
    r.min = st.min;
    r.max = st.max;
    r.fingerprint = st.fingerprint;
    s.fingerprints[i] = st.fingerprint;
    s.model_fingerprint = combine_fingerprint(s.model_fingerprint, s.params[i]->fqn(), st.fingerprint);
    s.report.parameters.push_back(std::move(r));
  }
  s.report.fingerprint = s.model_fingerprint;
  // The report never carries a non-finite statistic (JSON null): the init
  // specs are checked to stay finite in the storage type, so one here is a fault.
  collective(w.comm, [&] {
    for (std::size_t i = 0; i < s.report.parameters.size(); ++i) {
      ParameterReport const& r = s.report.parameters[i];
      for (auto const& v : {r.mean, r.std, r.min, r.max}) {
        if (!v || std::isfinite(*v)) continue;
        if (s.loading)  // bad input: the checkpoint holds them
          throw InputError(r.fqn + ": non-finite values loaded from --load " + echo(s.ckpt.load, 200) + " (stored as '" +
                           stored_names(s.load_tensors[i]) + "')");
        throw RunError(r.fqn + ": non-finite values after init_states (" + r.init + ")");
      }
    }
  });
  if (s.loading)  // a flipped bit or swapped tensors must not load silently
    check_loaded_checkpoint(w.comm, s.ckpt.load, s.loaded_metadata, s.load_tensors, s.fingerprints, s.model_fingerprint,
                            dtype_name(s.deck.run.dtype),
                            s.ckpt.load_adapter() ? s.ckpt.load_adapter()->file_stem() : "model");
  for (std::size_t i = 0; i < buffers.size(); ++i)
    s.report.buffers.push_back({buffers[i]->fqn(), buffers[i]->shape(), "float32", buffer_fp[i]});
}

// ---- verify (--verify): every local shard read back and checked against
// the statistics the init kernels computed.
void phase_verify(RunState& s, PhaseTimer&) {
  Progress progress("verify", static_cast<double>(s.my_elems), s.progress_on);
  s.statistics->verify_local([&](double e) { progress.advance(e); });
  progress.finish();
}

// ---- loads (not timed): per-rank loads, the peak memory after init, the
// init profile; before the forward pass and training, which report their own peaks.
void phase_loads(RunState& s, PhaseTimer&) {
  World const& w = s.w;
  record_load(s.report, measured_load(s.params, w.comm));
  std::int64_t const rss = peak_resident_bytes();
  TITAN_MPI_CHECK(MPI_Allreduce(&rss, &s.report.peak_rss_min, 1, MPI_INT64_T, MPI_MIN, w.comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&rss, &s.report.peak_rss_max, 1, MPI_INT64_T, MPI_MAX, w.comm));
  for (ProfileEntry const& e : s.profile->reduce(w.comm))
    s.report.init_profile.push_back({e.group, e.elements, e.max_s, e.fraction});
}

// ---- forward (--forward): the pass, repeated; its best repetition is the phase's time.
void phase_forward(RunState& s, PhaseTimer& timer) {
  double local = 0;
  Progress progress("forward",
                    static_cast<double>(s.deck.forward.repetitions) * (as_language_model(*s.model).num_blocks() + 2),
                    s.progress_on);
  s.report.forward = forward_phase(*s.model, s.mesh, s.w.comm, s.mpi_buffers.device_pointers, s.forward_tokens,
                                   s.deck.forward.repetitions,
                                   !s.deck.forward.dump_logits.empty(), s.logits_out.get(), local,
                                   [&] { progress.advance(1); });
  progress.finish();
  timer.set_seconds(local);
}

// ---- train (--train or [train] steps > 0): from init_states or from --load
// (with its optimizer state when it has one); the trained model is what a --save writes.
// True when the tree under `m` has a Linear named `fqn` ([debug] fail_module).
bool is_linear_module(Module const& m, std::string const& fqn) {
  if (m.fqn() == fqn) return dynamic_cast<Linear const*>(&m) != nullptr;
  for (auto const& child : m.children())
    if (is_linear_module(*child.second, fqn)) return true;
  return false;
}

void phase_train(RunState& s, PhaseTimer& timer) {
  World const& w = s.w;
  TrainPhaseInput in;
  in.settings = s.deck.train;
  in.progress = s.progress_on;
  DebugSettings const& debug = s.deck.debug;
  if (!debug.fail_module.empty()) {
    collective(w.comm, [&] {
      require(is_linear_module(*s.model, debug.fail_module),
              debug.fail_module_where + " fail_module = '" + echo(debug.fail_module) +
                  "' is not a Linear module of the model (a name as the dry run lists it, such as layers.0.attention.wo)");
    });
    if (w.rank == debug.fail_rank) in.fail_module = debug.fail_module;
  }
  in.mpi_device_pointers = s.mpi_buffers.device_pointers;
  collective(w.comm, [&] {
    s.optimizer = std::make_unique<AdamW>(s.params, s.mesh, w.rank);
    s.optimizer_state = std::make_unique<OptimizerCheckpoint>(*s.optimizer, moe_layers(*s.model), s.mesh, w.rank);
  });
  // --load of a training checkpoint resumes it: the optimizer state and
  // the step count from DIR/optimizer/ (a checkpoint without one starts at step 0).
  if (s.loading && OptimizerCheckpoint::present(w.comm, s.ckpt.load)) {
    s.report.checkpoints.push_back(s.optimizer_state->load(w.comm, s.ckpt.load,
                                                           static_cast<std::uint64_t>(s.ckpt.deck.buffer_bytes),
                                                           {s.deck.family, s.deck.flavor, "titan"}));
    s.report.checkpoints.back().names = "titan";
    in.loaded_step = s.optimizer->step();
  }
  double local = 0;
  collective(w.comm, [&] {
    s.report.train = train_phase(*s.model, s.mesh, w.comm, *s.train_tokens, *s.optimizer, in, local);
  });
  std::int64_t planned = s.baseline_rss;  // the process before titan allocated, then the guard's terms
  for (MemoryTerm const& t : s.run_memory.rank.terms)
    if (t.name != "forward pass") planned += t.bytes;
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &planned, 1, MPI_INT64_T, MPI_MAX, w.comm));
  s.report.train->planned_peak_bytes = planned;
  // The trained model's fingerprint (the report's "fingerprint" stays the init's).
  std::vector<ShardedTensorPtr> const tensors(s.params.begin(), s.params.end());
  s.fingerprints = tensor_fingerprints(tensors, w.comm);
  s.model_fingerprint = 0;
  for (std::size_t i = 0; i < s.params.size(); ++i)
    s.model_fingerprint = combine_fingerprint(s.model_fingerprint, s.params[i]->fqn(), s.fingerprints[i]);
  s.report.train->fingerprint = s.model_fingerprint;
  timer.set_seconds(local);
}

// ---- save (--save): the model (after training when the run trains, with
// the optimizer state); the phase's time leaves out the write-speed reference.
void phase_save(RunState& s, PhaseTimer& timer) {
  World const& w = s.w;
  CheckpointPlan const& ckpt = s.ckpt;
  std::string seed = std::to_string(s.deck.run.seed);
  for (auto const& [k, v] : s.loaded_metadata)
    if (k == "seed") seed = v;  // a loaded model keeps the seed it was made with
  Metadata metadata = {{"format", "pt"},
                       {"program", "titan_app"},
                       {"version", TITAN_VERSION},
                       {"family", s.deck.family},
                       {"flavor", s.deck.flavor},
                       {"dtype", dtype_name(s.deck.run.dtype)},
                       {"seed", seed},
                       {"fingerprint", hex64(s.model_fingerprint)},
                       {"names", checkpoint_names_name(ckpt.save_names)}};
  double seconds = 0;
  if (s.optimizer_state) {
    metadata.emplace_back("step", std::to_string(s.optimizer->step()));
    s.report.checkpoints.push_back(s.optimizer_state->save(w.comm, s.saver, metadata,
                                                           static_cast<std::uint64_t>(ckpt.deck.max_file_bytes),
                                                           static_cast<std::uint64_t>(ckpt.deck.buffer_bytes)));
    s.report.checkpoints.back().names = "titan";
    seconds += s.report.checkpoints.back().seconds;
  }
  std::vector<std::pair<std::string, std::string>> extra;
  if (ckpt.save_adapter()) extra.emplace_back("config.json", ckpt.save_config(s.deck.run.dtype));
  s.report.checkpoints.push_back(s.saver.save(w.comm, s.save_tensors, metadata,
                                              static_cast<std::uint64_t>(ckpt.deck.max_file_bytes),
                                              static_cast<std::uint64_t>(ckpt.deck.buffer_bytes), extra,
                                              static_cast<std::uint64_t>(ckpt.deck.write_speed_sample_bytes),
                                              s.model_fingerprint, s.fingerprints,
                                              ckpt.save_adapter() ? ckpt.save_adapter()->file_stem() : "model"));
  s.report.checkpoints.back().names = checkpoint_names_name(ckpt.save_names);
  seconds += s.report.checkpoints.back().seconds;  // without the write-speed reference
  timer.set_seconds(seconds);
}

// ---- verify_layout (--verify-layout or [run] verify_layout): every rank's
// boxes tile each parameter once (the planned tiling in a dry run).
void phase_verify_layout(RunState& s, PhaseTimer&) {
  LayoutVerdict const v =
      s.opt.dry_run ? verify_planned_layout(s.params, s.mesh) : verify_model_layout(s.params, s.mesh, s.w.comm);
  s.report.layout_verified = v.ok;
  if (!v.ok) s.layout_failure = describe_failure(v);
}

double max_seconds(RunReport const& r, std::string const& name) {
  for (PhaseTiming const& t : r.phases)
    if (t.name == name) return t.max_s;
  return 0;
}

// ---- report: the throughput figures, the JSON written to its temporary
// name (renamed into place by the driver once every rank got through).
void phase_write_report(RunState& s, PhaseTimer&) {
  RunReport& r = s.report;
  if (!s.opt.dry_run) {
    double const fill_max = max_seconds(r, "fill"), init_max = max_seconds(r, "init_states");
    if (init_max > 0 && !s.loading) {
      r.init_params_per_s = static_cast<double>(r.params_total) / init_max;
      r.init_GBps = static_cast<double>(r.bytes_total) / init_max / 1e9;
    }
    if (fill_max > 0) {
      r.fill_GBps = static_cast<double>(r.bytes_total) / fill_max / 1e9;
      r.init_over_fill = init_max / fill_max;
    }
  }
  if (s.json_out) s.json_out->write(r.json());
}

}  // namespace

std::vector<Phase> run_phase_list() {
  auto always = [](RunState const&) { return true; };
  return {
      {"build", Kind::collective, true, always, phase_build},
      {"plan", Kind::local, true, [](RunState const& s) { return s.opt.dry_run; }, phase_plan},
      {"train_plan", Kind::collective, true, [](RunState const& s) { return s.opt.dry_run && s.train_on; }, phase_train_plan},
      {"fill", Kind::local, true, real_run, phase_fill},
      {"init_states", Kind::collective, true, [](RunState const& s) { return real_run(s) && !s.loading; }, phase_init_or_load},
      {"load", Kind::collective, true, [](RunState const& s) { return real_run(s) && s.loading; }, phase_init_or_load},
      {"stats", Kind::collective, true, real_run, phase_stats},
      {"verify", Kind::local, true, [](RunState const& s) { return real_run(s) && s.opt.verify; }, phase_verify},
      {"loads", Kind::collective, false, real_run, phase_loads},
      {"forward", Kind::collective, true, [](RunState const& s) { return real_run(s) && s.forward_on; }, phase_forward},
      {"train", Kind::collective, true, [](RunState const& s) { return real_run(s) && s.train_on; }, phase_train},
      {"save", Kind::collective, true, [](RunState const& s) { return real_run(s) && !s.ckpt.save.empty(); }, phase_save},
      {"verify_layout", Kind::collective, true,
       [](RunState const& s) { return s.opt.verify_layout || s.deck.run.verify_layout; }, phase_verify_layout},
      {"report", Kind::local, false, always, phase_write_report},
  };
}

}  // namespace titan
