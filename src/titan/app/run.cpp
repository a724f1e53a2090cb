// The driver, in the order of the README's sentence: read the deck, build
// the module tree on the mesh, initialize every local shard, fingerprint it,
// report.
#include "titan/app/run.hpp"

#include "titan/app/checkpoint_plan.hpp"
#include "titan/app/cli.hpp"
#include "titan/app/init_profile.hpp"
#include "titan/app/fault_injection.hpp"
#include "titan/app/layout_verification.hpp"
#include "titan/app/memory_guard.hpp"
#include "titan/app/memory_plan.hpp"
#include "titan/app/output_paths.hpp"
#include "titan/app/plan.hpp"
#include "titan/app/progress.hpp"
#include "titan/app/run_memory.hpp"
#include "titan/app/run_statistics.hpp"
#include "titan/checkpoint/checkpoint_driver.hpp"
#include "titan/config/deck.hpp"
#include "titan/config/deck_source.hpp"
#include "titan/core/bf16.hpp"
#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/file_identity.hpp"
#include "titan/core/memory_usage.hpp"
#include "titan/core/profile_region.hpp"
#include "titan/forward/forward_phase.hpp"
#include "titan/train/load_balance.hpp"
#include "titan/train/optimizer_checkpoint.hpp"
#include "titan/train/train_phase.hpp"
#include "titan/init/fingerprint.hpp"
#include "titan/models/registry.hpp"
#include "titan/modules/module.hpp"
#include "titan/parallel/broadcast.hpp"
#include "titan/parallel/collective.hpp"
#include "titan/report/atomic_file.hpp"
#include "titan/report/report.hpp"
#include "titan/version.hpp"

#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

namespace titan {
namespace {

struct World {
  MPI_Comm comm = MPI_COMM_WORLD;
  int rank = 0, size = 1;
  bool root() const { return rank == 0; }
};

PhaseTiming reduce_phase(World const& w, std::string name, double local_s) {
  PhaseTiming t;
  t.name = std::move(name);
  double sum = 0;
  TITAN_MPI_CHECK(MPI_Allreduce(&local_s, &t.min_s, 1, MPI_DOUBLE, MPI_MIN, w.comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&local_s, &t.max_s, 1, MPI_DOUBLE, MPI_MAX, w.comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&local_s, &sum, 1, MPI_DOUBLE, MPI_SUM, w.comm));
  t.avg_s = sum / w.size;
  return t;
}

// Wall time of a phase on this rank, fenced so device work is counted.
template <class F>
double timed(std::string const& name, F&& f) {
  ProfileRegion region(name);
  Kokkos::fence();
  double const t0 = MPI_Wtime();
  f();
  Kokkos::fence();
  return MPI_Wtime() - t0;
}

std::string exec_space_name() { return ExecSpace::name(); }

void record_load(RunReport& report, RankLoad const& load) {
  report.params_min_per_rank = load.params_min;
  report.params_max_per_rank = load.params_max;
  report.bytes_min_per_rank = load.bytes_min;
  report.bytes_max_per_rank = load.bytes_max;
  report.bytes_avg_per_rank = load.bytes_avg;
  report.largest_shard_bytes = load.largest_shard_bytes;
  report.largest_shard_fqn = load.largest_shard_fqn;
}

std::string kokkos_version() {
  int const v = KOKKOS_VERSION;
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
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
  for (auto const& p : params) {
    if (p->allocated()) p->visit([](auto const& v) { Kokkos::deep_copy(v, 0); });
  }
}

int run(World const& w, int argc, char** argv, DeviceChoice const& device) {
  // What the process holds before titan allocates anything (MPI, Kokkos, the
  // libraries): the planned peak of a phase is compared with the measured
  // peak RSS on top of it.
  std::int64_t const baseline_rss = resident_bytes();
  RunReport report;
  report.version = TITAN_VERSION;
  report.git_hash = TITAN_GIT_HASH;
  report.exec_space = exec_space_name();
  report.device = describe_device(device);
  report.kokkos_version = kokkos_version();

  // ---- Step 1: command line and deck (every rank reads; same verdict) ----
  Options opt;
  Deck deck;
  double const parse_s = MPI_Wtime();
  // The deck's bytes are read once, by rank 0, and broadcast: a pipe, a FIFO
  // or /dev/stdin gives its bytes to one reader only (issue 12).
  std::string deck_text;
  collective(w.comm, [&] {
    ProfileRegion region("parse");
    opt = parse_command_line(argc, argv);
    if (!opt.help && !opt.version && w.root()) deck_text = read_deck_source(opt.deck_path);
  });
  if (!opt.help && !opt.version) broadcast_text(w.comm, deck_text, 0);
  collective(w.comm, [&] {
    ProfileRegion region("parse");
    if (!opt.help && !opt.version) {
      deck = read_deck_text(deck_text, opt.deck_path, opt.sets, deck_families());
      check_fault_injection(deck.debug, w.size, opt.dry_run);
      if (opt.forward || !opt.dump_logits.empty()) deck.forward.enabled = true;
      if (opt.train) deck.train.enabled = true;
      deck.forward.dump_logits = opt.dump_logits;
      inject_fault(deck.debug, w.rank, "parse");
    }
  });
  std::string().swap(deck_text);
  if (opt.help || opt.version) {
    if (w.root()) std::cout << (opt.help ? usage_text() : std::string("titan_app ") + TITAN_VERSION + "\n");
    return 0;
  }
  if (opt.print_config) {
    if (w.root()) std::cout << resolved_deck_toml(deck);
    return 0;
  }
  double const parse_local = MPI_Wtime() - parse_s;
  CheckpointPlan ckpt;
  collective(w.comm, [&] { ckpt = checkpoint_plan(opt, deck); });
  bool const loading = !ckpt.load.empty();

  // ---- Step 2: mesh, model config, output file (fail before any heavy work) ----
  int const ranks = opt.dry_run && opt.plan_ranks > 0 ? opt.plan_ranks : w.size;
  Mesh mesh;
  std::unique_ptr<ModelConfig> model_config;
  std::unique_ptr<AtomicFile> json_out;
  RankPlan rank_plan;  // what this rank will allocate (real runs)
  RunMemory run_memory;  // the memory guard's terms: the model, the forward pass
  bool const forward_on = deck.forward.enabled;
  bool const train_on = deck.train.enabled;
  std::unique_ptr<TrainTokens> train_tokens;
  ForwardTokens forward_tokens;
  std::unique_ptr<AtomicFile> logits_out;
  collective(w.comm, [&] {
    if (w.root())  // no output onto an input or onto another output
      check_output_paths({opt.deck_path, deck.forward.tokens_file, ckpt.load, opt.report_json, deck.forward.dump_logits,
                          ckpt.save});
    for (auto const& [on, flag, what] : {std::make_tuple(forward_on, "--forward", "forward pass"),
                                          std::make_tuple(train_on, "--train", "training")}) {
      if (!on) continue;  // the forward pass's and training's input, checked before any heavy work
      require(!opt.dry_run, std::string(flag) + " needs a real run (not --dry-run)");
      if (!find_family(deck.family).language_model) {  // name the families that have one (from the registry)
        std::string with;
        for (auto const& f : families())
          if (f.language_model) with += (with.empty() ? "" : ", ") + f.deck.name;
        throw InputError(std::string(flag) + ": family '" + deck.family + "' has no " + what + " yet (families with one: " +
                         with + ")");
      }
    }
    if (forward_on) {
      require_regular_if_exists(deck.forward.tokens_file, "[forward] tokens_file");  // a FIFO would block
      if (!deck.forward.dump_logits.empty() && w.root()) {
        try {
          logits_out = std::make_unique<AtomicFile>(deck.forward.dump_logits);
        } catch (InputError const& e) {  // AtomicFile names --report-json in its message
          std::string m = e.what();
          throw InputError("--dump-logits" + m.substr(m.find(' ')));
        }
      }
    }
    mesh = Mesh::resolve(deck.mesh, ranks);
    model_config = find_family(deck.family).model_config(*deck.model, mesh);
    if (!opt.report_json.empty() && w.root()) {
      json_out = std::make_unique<AtomicFile>(opt.report_json);
      json_out->refuse_same_file(opt.deck_path, "the input deck");
    }
  });
  // The batches, after every check above passed on every rank (reading a
  // tokens file is itself collective: rank 0 reads, broadcasts).
  std::optional<TokenShape> const token_shape = model_config->token_shape();
  if (forward_on) {
    collective(w.comm, [&] {
      require_internal(token_shape.has_value(), "family '" + deck.family + "' is a language model without a token shape");
    });
    forward_tokens = read_forward_tokens(w.comm, deck.forward, *token_shape, deck.debug.memory_available);
  }
  collective(w.comm, [&] {
    if (train_on) {
      require_internal(token_shape.has_value(), "family '" + deck.family + "' is a language model without a token shape");
      train_tokens = std::make_unique<TrainTokens>(deck.train, token_shape->vocab_size, token_shape->max_seq_len,
                                                   last_train_step(deck.train, 0));
    }
    if (!opt.dry_run) {
      BuildContext plan_ctx;
      plan_ctx.mesh = mesh;
      plan_ctx.rank = w.rank;
      plan_ctx.dtype = deck.run.dtype;
      plan_ctx.overrides = &deck.overrides;
      rank_plan = plan_rank_memory(*model_config, plan_ctx);
      RunWork work;
      if (forward_on) {
        work.forward_tokens = &forward_tokens;
        work.forward_source =
            deck.forward.tokens_file.empty() ? "[forward]" : "the tokens file " + echo(deck.forward.tokens_file);
        work.dump_logits = !deck.forward.dump_logits.empty();
      }
      if (train_on) {
        work.train = &deck.train;
        work.train_batch = train_tokens->batch();
        work.train_seq_len = train_tokens->seq_len();
      }
      run_memory = plan_run_memory(rank_plan, work, w.size, w.rank);
    }
  });
  // --save: the destination is checked and its temporary directory made now,
  // before any heavy work; the saver removes it again unless the save completes.
  CheckpointSaver saver;
  if (!ckpt.save.empty())  // --overwrite never replaces a folder the run reads from
    saver.prepare(w.comm, ckpt.save, ckpt.overwrite,
                  {{"the input deck", opt.deck_path}, {"the --load checkpoint", ckpt.load},
                   {"the tokens file", deck.forward.tokens_file}});
  // Memory guard (collective): refuse now rather than be OOM-killed while allocating.
  if (!opt.dry_run)
    guard_memory(w.comm, run_memory.rank, {rank_plan.model_params, deck.run.dtype, w.size, rank_plan.buffer_bytes},
                 {opt.force, deck.debug.memory_available, device.device_id, device_free_memory(), run_memory.advice});
  report.deck = deck.path;
  report.resolved_deck = resolved_deck_toml(deck);
  report.world_size = ranks;
  report.dtype = dtype_name(deck.run.dtype);
  report.dry_run = opt.dry_run;
  report.family = deck.family;
  report.flavor = deck.flavor;
  report.mesh_dp_shard = mesh.size(dp_shard);
  report.mesh_ep = mesh.size(ep);
  report.mesh_tp = mesh.size(tp);
  bool const progress_on = w.root() && !opt.quiet;
  report.print_profile = opt.profile;

  // ---- Step 3: build the module tree (allocates local shards unless dry run) ----
  std::unique_ptr<Module> model;
  double build_local = 0;
  collective(w.comm, [&] {
    BuildContext ctx;
    ctx.mesh = mesh;
    ctx.rank = opt.dry_run ? 0 : w.rank;
    ctx.dtype = deck.run.dtype;
    ctx.allocate = !opt.dry_run;
    ctx.overrides = &deck.overrides;
    build_local = timed("build", [&] { model = model_config->build_model(ctx); });
    deck.overrides.expect_all_matched();
    inject_fault(deck.debug, w.rank, "build");
  });
  std::vector<ParameterPtr> const params = model->parameters();
  for (auto const& p : params) {
    report.params_total += p->numel();
    report.bytes_total += p->numel() * static_cast<std::int64_t>(dtype_size(p->dtype()));
  }
  report.params_activated = find_family(deck.family).activated_params(*deck.model, report.params_total);
  std::vector<CheckpointTensor> load_tensors, save_tensors;  // each side with its names
  if (!ckpt.save.empty() || loading) {
    collective(w.comm, [&] {
      std::vector<BufferPtr> const buffers = model->buffers();
      if (loading) load_tensors = checkpoint_tensors(params, buffers, ckpt.load_adapter());
      if (!ckpt.save.empty()) save_tensors = checkpoint_tensors(params, buffers, ckpt.save_adapter());
    });
    // Free space for the tensors plus a generous allowance for the headers.
    if (!ckpt.save.empty())
      saver.check_space(w.comm, static_cast<std::uint64_t>(report.bytes_total) + (std::uint64_t(1) << 20));
  }

  if (opt.dry_run) {
    double const t0 = MPI_Wtime();
    record_load(report, plan_layout(params, mesh).load());
    double const plan_s = MPI_Wtime() - t0;
    report.phases = {reduce_phase(w, "parse", parse_local), reduce_phase(w, "build", build_local),
                     reduce_phase(w, "plan", plan_s)};
    for (auto const& p : params) report.parameters.push_back(describe_parameter(*p, p->resolved_init()));
  } else {
    // ---- Step 4a: the baseline, a plain fill of the same bytes: twice, the
    // first touching fresh pages (so neither it nor init_states below pays
    // for first touch), the second timed ----
    double fill_local = 0;
    collective(w.comm, [&] {
      fill_zeros(params);
      for (BufferPtr const& b : model->buffers())  // first touch of the buffers too (a RoPE table can be GBs)
        if (b->allocated()) Kokkos::deep_copy(b->data(), 0.0f);
      fill_local = timed("fill", [&] { fill_zeros(params); });
    });

    // ---- Step 4: init_states, run.repeat times (one warm-up first when repeating) ----
    std::int64_t const my_elems = local_params(params);
    double buffer_elems = 0;  // buffers are initialized in init_states too (the RoPE table can be GBs)
    for (BufferPtr const& b : model->buffers()) buffer_elems += b->allocated() ? static_cast<double>(b->numel()) : 0.0;
    int const reps = loading ? 1 : deck.run.repeat > 1 ? deck.run.repeat + 1 : 1;
    double init_best = 1e300;
    InitProfile profile(opt.profile);  // a fence per parameter only when the profile is asked for
    Metadata loaded_metadata;  // --load: the checkpoint's __metadata__
    RunStatistics statistics(params);  // filled by the init kernels as they store
    report.loaded = loading;
    for (int rep = 0; rep < reps; ++rep) {
      double init_local = 0;
      collective(w.comm, [&] {
        Progress progress(reps > 1 ? "init_states (repetition " + std::to_string(rep + 1) + "/" + std::to_string(reps) + ")"
                                   : std::string("init_states"),
                          static_cast<double>(my_elems) + buffer_elems, progress_on);
        InitContext ictx;
        ictx.buffer_progress = [&](double elements) { progress.advance(elements); };
        ictx.seed = deck.run.seed;
        ictx.after_parameter = [&](Parameter const& p) {
          profile.record(p);
          progress.advance(static_cast<double>(p.local_numel()));
        };
        ictx.parameter_stats = [&](Parameter const& p, ValueStats const& s) { statistics.record(p, s); };
        ictx.fill_parameters = !loading;  // --load: buffers only; the checkpoint fills the parameters
        profile.start();  // the profile keeps the last repetition
        init_local = timed(loading ? "load" : "init_states", [&] {
          model->init_states(ictx);
          if (loading) {
            // The statistics of what is read, slab by slab from the staging buffer (no second pass).
            SlabHook const slab_stats = [&](ShardedTensor const& t, void const* v, std::int64_t begin, std::int64_t n) {
              statistics.add_part(dynamic_cast<Parameter const&>(t), host_values_stats(t, v, begin, n));
            };
            report.checkpoints.push_back(load_checkpoint(w.comm, ckpt.load, load_tensors, ckpt.load_adapter(),
                                                         deck.run.dtype, ckpt.convert,
                                                         static_cast<std::uint64_t>(ckpt.deck.buffer_bytes),
                                                         &loaded_metadata,
                                                         {deck.family, deck.flavor, checkpoint_names_name(ckpt.load_names)},
                                                         slab_stats));
            report.checkpoints.back().names = checkpoint_names_name(ckpt.load_names);
          }
        });
        progress.finish();
        inject_fault(deck.debug, w.rank, "init_states");
      });
      if (reps == 1 || rep > 0) init_best = std::min(init_best, init_local);
    }

    // ---- Step 5: statistics and fingerprint. The init kernels computed each
    // parameter's local statistics as they stored it; this phase reads back
    // only what nothing filled, then reduces over the ranks. ----
    std::size_t const n = params.size();
    double stats_local = 0;
    std::vector<BufferPtr> const buffers = model->buffers();
    std::vector<std::uint64_t> buffer_fp(buffers.size(), 0);
    std::vector<ValueStats> totals;
    collective(w.comm, [&] {
      for (std::size_t i = 0; i < buffers.size(); ++i)
        if (buffers[i]->allocated()) buffer_fp[i] = values_fingerprint(buffers[i]->data());
      Progress progress("stats", static_cast<double>(my_elems), progress_on);
      stats_local = timed("stats", [&] { statistics.gather_local([&](double e) { progress.advance(e); }); });
      progress.finish();
      inject_fault(deck.debug, w.rank, "stats");
    });
    double const t0 = MPI_Wtime();
    totals = statistics.reduce(w.comm);
    stats_local += MPI_Wtime() - t0;
    std::vector<std::uint64_t> fp(n);  // per-parameter fingerprints (the checkpoint's index carries them)
    for (std::size_t i = 0; i < n; ++i) fp[i] = totals[i].fingerprint;
    // --verify: read every local shard back and check it against the statistics the init kernels computed.
    double verify_local = -1;
    if (opt.verify)
      collective(w.comm, [&] {
        Progress progress("verify", static_cast<double>(my_elems), progress_on);
        verify_local = timed("verify", [&] { statistics.verify_local([&](double e) { progress.advance(e); }); });
        progress.finish();
      });

    std::uint64_t model_fp = 0;
    for (std::size_t i = 0; i < n; ++i) {
      ParameterReport r = describe_parameter(*params[i], params[i]->resolved_init());
      if (loading) {
        r.init = "loaded";
        r.init_spec.reset();
      }
      ValueStats const& s = totals[i];
      r.mean = s.mean();
      r.std = s.std();
      r.min = s.min;
      r.max = s.max;
      r.fingerprint = s.fingerprint;
      model_fp = combine_fingerprint(model_fp, params[i]->fqn(), s.fingerprint);
      report.parameters.push_back(std::move(r));
    }
    report.fingerprint = model_fp;
    // The report never carries a non-finite statistic (JSON null): the init
    // specs are checked to stay finite in the storage type, so one here is a fault.
    collective(w.comm, [&] {
      for (std::size_t i = 0; i < report.parameters.size(); ++i) {
        ParameterReport const& r = report.parameters[i];
        for (auto const& v : {r.mean, r.std, r.min, r.max}) {
          if (!v || std::isfinite(*v)) continue;
          if (loading)  // bad input: the checkpoint holds them
            throw InputError(r.fqn + ": non-finite values loaded from --load " + echo(ckpt.load, 200) + " (stored as '" +
                             stored_names(load_tensors[i]) + "')");
          throw RunError(r.fqn + ": non-finite values after init_states (" + r.init + ")");
        }
      }
    });
    if (loading)  // a flipped bit or swapped tensors must not load silently
      check_loaded_checkpoint(w.comm, ckpt.load, loaded_metadata, load_tensors, fp, model_fp, dtype_name(deck.run.dtype),
                              ckpt.load_adapter() ? ckpt.load_adapter()->file_stem() : "model");
    for (std::size_t i = 0; i < buffers.size(); ++i)
      report.buffers.push_back({buffers[i]->fqn(), buffers[i]->shape(), "float32", buffer_fp[i]});

    // ---- Step 5b: --save (after the fingerprint, which goes into the
    // metadata; after training when the run trains, with the optimizer state) ----
    double save_local = -1;
    auto save_checkpoint = [&](std::uint64_t model_fingerprint, std::vector<std::uint64_t> const& fingerprints,
                               OptimizerCheckpoint* optimizer_state, std::int64_t step) {
      std::string seed = std::to_string(deck.run.seed);
      for (auto const& [k, v] : loaded_metadata)
        if (k == "seed") seed = v;  // a loaded model keeps the seed it was made with
      Metadata metadata = {{"format", "pt"},
                           {"program", "titan_app"},
                           {"version", TITAN_VERSION},
                           {"family", deck.family},
                           {"flavor", deck.flavor},
                           {"dtype", dtype_name(deck.run.dtype)},
                           {"seed", seed},
                           {"fingerprint", hex64(model_fingerprint)},
                           {"names", checkpoint_names_name(ckpt.save_names)}};
      if (optimizer_state) {
        metadata.emplace_back("step", std::to_string(step));
        report.checkpoints.push_back(optimizer_state->save(w.comm, saver, metadata,
                                                           static_cast<std::uint64_t>(ckpt.deck.max_file_bytes),
                                                           static_cast<std::uint64_t>(ckpt.deck.buffer_bytes)));
        report.checkpoints.back().names = "titan";
      }
      std::vector<std::pair<std::string, std::string>> extra;
      if (ckpt.save_adapter()) extra.emplace_back("config.json", ckpt.save_config(deck.run.dtype));
      report.checkpoints.push_back(saver.save(w.comm, save_tensors, metadata,
                                              static_cast<std::uint64_t>(ckpt.deck.max_file_bytes),
                                              static_cast<std::uint64_t>(ckpt.deck.buffer_bytes), extra,
                                              static_cast<std::uint64_t>(ckpt.deck.write_speed_sample_bytes),
                                              model_fingerprint, fingerprints,
                                              ckpt.save_adapter() ? ckpt.save_adapter()->file_stem() : "model"));
      report.checkpoints.back().names = checkpoint_names_name(ckpt.save_names);
      save_local = report.checkpoints.back().seconds;  // without the write-speed reference
      if (optimizer_state) save_local += report.checkpoints[report.checkpoints.size() - 2].seconds;
    };
    if (!ckpt.save.empty() && !train_on) save_checkpoint(model_fp, fp, nullptr, 0);

    // ---- Step 6: per-rank loads, memory, timings ----
    record_load(report, measured_load(params, w.comm));
    std::int64_t const rss = peak_resident_bytes();
    TITAN_MPI_CHECK(MPI_Allreduce(&rss, &report.peak_rss_min, 1, MPI_INT64_T, MPI_MIN, w.comm));
    TITAN_MPI_CHECK(MPI_Allreduce(&rss, &report.peak_rss_max, 1, MPI_INT64_T, MPI_MAX, w.comm));

    for (ProfileEntry const& e : profile.reduce(w.comm))
      report.init_profile.push_back({e.group, e.elements, e.max_s, e.fraction});
    report.phases = {reduce_phase(w, "parse", parse_local), reduce_phase(w, "build", build_local),
                     reduce_phase(w, "fill", fill_local), reduce_phase(w, loading ? "load" : "init_states", init_best),
                     reduce_phase(w, "stats", stats_local)};
    if (save_local >= 0) report.phases.push_back(reduce_phase(w, "save", save_local));
    save_local = -1;
    if (verify_local >= 0) report.phases.push_back(reduce_phase(w, "verify", verify_local));
    // ---- Step 6a: the forward pass (--forward) ----
    if (forward_on) {
      double forward_local = 0;
      Progress progress("forward", static_cast<double>(deck.forward.repetitions) * (as_language_model(*model).num_blocks() + 2),
                        progress_on);
      report.forward = forward_phase(*model, mesh, w.comm, forward_tokens, deck.forward.repetitions,
                                     !deck.forward.dump_logits.empty(), logits_out.get(), forward_local,
                                     [&] { progress.advance(1); });
      progress.finish();
      report.phases.push_back(reduce_phase(w, "forward", forward_local));
    }
    // ---- Step 6b: training (--train or [train] steps > 0)
    if (train_on) {
      std::unique_ptr<AdamW> optimizer;
      std::unique_ptr<OptimizerCheckpoint> optimizer_state;
      double train_local = 0;
      TrainPhaseInput in;
      in.settings = deck.train;
      in.progress = progress_on;
      collective(w.comm, [&] {
        optimizer = std::make_unique<AdamW>(params, mesh, w.rank);
        optimizer_state = std::make_unique<OptimizerCheckpoint>(*optimizer, moe_layers(*model), mesh, w.rank);
      });
      // --load of a training checkpoint resumes it: the optimizer state and
      // the step count from DIR/optimizer/ (a checkpoint without one starts at step 0).
      if (loading && OptimizerCheckpoint::present(w.comm, ckpt.load)) {
        report.checkpoints.push_back(
            optimizer_state->load(w.comm, ckpt.load, static_cast<std::uint64_t>(ckpt.deck.buffer_bytes),
                                                                {deck.family, deck.flavor, "titan"}));
        report.checkpoints.back().names = "titan";
        in.loaded_step = optimizer->step();
      }
      collective(w.comm, [&] {
        report.train = train_phase(*model, mesh, w.comm, *train_tokens, *optimizer, in, train_local);
        std::int64_t planned = baseline_rss;  // the process before titan allocated, then the guard's terms
        for (MemoryTerm const& t : run_memory.rank.terms)
          if (t.name != "forward pass") planned += t.bytes;
        TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &planned, 1, MPI_INT64_T, MPI_MAX, w.comm));
        report.train->planned_peak_bytes = planned;
        inject_fault(deck.debug, w.rank, "train");
      });
      report.phases.push_back(reduce_phase(w, "train", train_local));
      // The trained model's fingerprint (the report's "fingerprint" stays the init's).
      std::vector<ShardedTensorPtr> const tensors(params.begin(), params.end());
      std::vector<std::uint64_t> const trained_fp = tensor_fingerprints(tensors, w.comm);
      std::uint64_t trained = 0;
      for (std::size_t i = 0; i < params.size(); ++i) trained = combine_fingerprint(trained, params[i]->fqn(), trained_fp[i]);
      report.train->fingerprint = trained;
      if (!ckpt.save.empty()) {
        save_checkpoint(trained, trained_fp, optimizer_state.get(), optimizer->step());
        report.phases.push_back(reduce_phase(w, "save", save_local));
      }
    }
    double const fill_max = report.phases[2].max_s, init_max = report.phases[3].max_s;
    if (init_max > 0 && !loading) {
      report.init_params_per_s = static_cast<double>(report.params_total) / init_max;
      report.init_GBps = static_cast<double>(report.bytes_total) / init_max / 1e9;
    }
    if (fill_max > 0) {
      report.fill_GBps = static_cast<double>(report.bytes_total) / fill_max / 1e9;
      report.init_over_fill = init_max / fill_max;
    }
  }

  // ---- Step 6b: --verify-layout (collective; the planned tiling in a dry run) ----
  std::string layout_failure;
  if (opt.verify_layout || deck.run.verify_layout) {
    double const t0 = MPI_Wtime();
    LayoutVerdict const v =
        opt.dry_run ? verify_planned_layout(params, mesh) : verify_model_layout(params, mesh, w.comm);
    report.phases.push_back(reduce_phase(w, "verify_layout", MPI_Wtime() - t0));
    report.layout_verified = v.ok;
    if (!v.ok) layout_failure = describe_failure(v);
  }

  // ---- Step 7: report. The JSON goes to its temporary name inside the guard
  // and is renamed into place only after every rank got through it. ----
  collective(w.comm, [&] {
    if (json_out) json_out->write(report.json());
    inject_fault(deck.debug, w.rank, "report");
  });
  collective(w.comm, [&] {
    if (json_out) json_out->commit();
  });
  if (w.root()) {
    report.print_summary(std::cout);
    std::cout.flush();
  }
  if (!layout_failure.empty()) {  // reported (layout_verified = false), then a fault
    if (w.root()) {
      std::fprintf(stderr, "titan_app: error: %s\n", layout_failure.c_str());
      std::fflush(stderr);
    }
    MPI_Barrier(w.comm);  // no rank leaves before rank 0 has printed
    return 1;
  }
  return 0;
}

}  // namespace

int run_app(int argc, char** argv, DeviceChoice const& device) {
  World w;
  MPI_Comm_rank(w.comm, &w.rank);
  MPI_Comm_size(w.comm, &w.size);
  try {
    return run(w, argc, argv, device);
  } catch (CollectiveError const& e) {
    if (w.root()) {
      std::fprintf(stderr, "titan_app: error: %s%s\n", e.what(),
                   e.failing_rank != 0 ? (" (on rank " + std::to_string(e.failing_rank) + ")").c_str() : "");
      std::fflush(stderr);
    }
    // No rank leaves before rank 0 has printed: mpiexec may kill the others
    // as soon as one exits non-zero.
    MPI_Barrier(w.comm);
    return e.input_error ? 2 : 1;
  } catch (std::exception const& e) {
    // Outside a collective guard (a bug or an MPI failure): other ranks may be
    // waiting in a collective, so the only safe way out is to abort the job.
    std::fprintf(stderr, "titan_app: error on rank %d: %s\n", w.rank, e.what());
    std::fflush(stderr);
    MPI_Abort(w.comm, 1);
    return 1;
  } catch (...) {
    std::fprintf(stderr, "titan_app: error on rank %d: unknown exception\n", w.rank);
    std::fflush(stderr);
    MPI_Abort(w.comm, 1);
    return 1;
  }
}

}  // namespace titan
