#include "titan/app/run_setup.hpp"

#include "titan/app/fault_injection.hpp"
#include "titan/app/memory_guard.hpp"
#include "titan/app/output_paths.hpp"
#include "titan/app/phase.hpp"
#include "titan/config/deck_source.hpp"
#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/file_identity.hpp"
#include "titan/core/profile_region.hpp"
#include "titan/core/types.hpp"
#include "titan/models/registry.hpp"
#include "titan/parallel/broadcast.hpp"
#include "titan/parallel/collective.hpp"
#include "titan/parallel/mpi_buffers.hpp"
#include "titan/train/train_phase.hpp"
#include "titan/train/train_settings.hpp"
#include "titan/version.hpp"

#include <cstdio>
#include <iostream>
#include <optional>
#include <tuple>
#include <type_traits>

namespace titan {
namespace {

// Step 1: the command line and the deck (every rank parses; the deck's bytes
// are read once, by rank 0, and broadcast: a pipe, a FIFO or /dev/stdin
// gives its bytes to one reader only).
bool read_inputs(RunState& s, int argc, char** argv) {
  World const& w = s.w;
  double const t0 = MPI_Wtime();
  std::string deck_text;
  collective(w.comm, [&] {
    ProfileRegion region("parse");
    s.opt = parse_command_line(argc, argv);
    if (!s.opt.help && !s.opt.version && w.root()) deck_text = read_deck_source(s.opt.deck_path);
  });
  if (!s.opt.help && !s.opt.version) broadcast_text(w.comm, deck_text, 0);
  collective(w.comm, [&] {
    ProfileRegion region("parse");
    if (!s.opt.help && !s.opt.version) {
      s.deck = read_deck_text(deck_text, s.opt.deck_path, s.opt.sets, deck_families());
      check_fault_injection(s.deck.debug, w.size, s.opt.dry_run);
      if (s.opt.forward || !s.opt.dump_logits.empty()) s.deck.forward.enabled = true;
      if (s.opt.train) s.deck.train.enabled = true;
      s.deck.forward.dump_logits = s.opt.dump_logits;
      inject_fault(s.deck.debug, w.rank, "parse");
    }
  });
  std::string().swap(deck_text);
  if (s.opt.help || s.opt.version) {
    if (w.root()) std::cout << (s.opt.help ? usage_text() : std::string("titan_app ") + TITAN_VERSION + "\n");
    return false;
  }
  if (s.opt.print_config) {
    if (w.root()) std::cout << resolved_deck_toml(s.deck);
    return false;
  }
  s.report.phases.push_back(reduce_phase(w.comm, "parse", MPI_Wtime() - t0));
  collective(w.comm, [&] { s.ckpt = checkpoint_plan(s.opt, s.deck); });
  s.loading = !s.ckpt.load.empty();
  s.forward_on = s.deck.forward.enabled;
  s.train_on = s.deck.train.enabled;
  s.ranks = s.opt.dry_run && s.opt.plan_ranks > 0 ? s.opt.plan_ranks : w.size;
  s.progress_on = w.root() && !s.opt.quiet;
  return true;
}

// "--forward: family 'flux' has no forward pass yet (families with one: ...)".
void require_language_model(std::string const& family, std::string const& flag, std::string const& what) {
  if (find_family(family).language_model) return;
  std::string with;  // the families that have one, from the registry
  for (auto const& f : families())
    if (f.language_model) with += (with.empty() ? "" : ", ") + f.deck.name;
  throw InputError(flag + ": family '" + family + "' has no " + what + " yet (families with one: " + with + ")");
}

// Step 2: everything that can refuse the run, before any heavy work.
void check_inputs(RunState& s) {
  World const& w = s.w;
  Deck const& deck = s.deck;
  collective(w.comm, [&] {
    if (w.root())  // no output onto an input or onto another output
      check_output_paths({s.opt.deck_path, deck.forward.tokens_file, deck.train.tokens_file, s.ckpt.load,
                          s.opt.report_json, deck.forward.dump_logits, s.ckpt.save,
                          s.train_on ? deck.train.dump_gradients : std::string()});
    for (auto const& [on, flag, what] : {std::make_tuple(s.forward_on, "--forward", "forward pass"),
                                          std::make_tuple(s.train_on, "--train", "training")}) {
      if (!on) continue;  // the forward pass's and training's input
      // A dry run plans training's memory (train_plan.hpp); the forward pass it does not plan.
      require(!s.opt.dry_run || std::string(flag) == "--train", std::string(flag) + " needs a real run (not --dry-run)");
      require_language_model(deck.family, flag, what);
    }
    require(s.opt.memory_per_rank == 0 || s.train_on,
            "--memory-per-rank judges the training plan of a dry run: add --train (or set [train] steps > 0)");
    if (s.forward_on) {
      require_regular_if_exists(deck.forward.tokens_file, "[forward] tokens_file");  // a FIFO would block
      if (!deck.forward.dump_logits.empty() && w.root()) {
        try {
          s.logits_out = std::make_unique<AtomicFile>(deck.forward.dump_logits);
        } catch (InputError const& e) {  // AtomicFile names --report-json in its message
          std::string m = e.what();
          throw InputError("--dump-logits" + m.substr(m.find(' ')));
        }
      }
    }
    if (s.train_on) require_regular_if_exists(deck.train.tokens_file, "[train] tokens_file");
    s.mesh = Mesh::resolve(deck.mesh, s.ranks);
    s.model_config = find_family(deck.family).model_config(*deck.model, s.mesh);
    if (!s.opt.report_json.empty() && w.root()) {
      s.json_out = std::make_unique<AtomicFile>(s.opt.report_json);
      s.json_out->refuse_same_file(s.opt.deck_path, "the input deck");
    }
  });
}

// The batches (after every check above passed on every rank: reading a
// tokens file is itself collective, rank 0 reads and broadcasts), the memory
// plan of the whole run and its guard, the --save destination.
void plan_run(RunState& s) {
  World const& w = s.w;
  Deck const& deck = s.deck;
  std::optional<TokenShape> const token_shape = s.model_config->token_shape();
  if (s.forward_on) {
    collective(w.comm, [&] {
      require_internal(token_shape.has_value(), "family '" + deck.family + "' is a language model without a token shape");
    });
    s.forward_tokens = read_forward_tokens(w.comm, deck.forward, *token_shape, deck.debug.memory_available);
  }
  collective(w.comm, [&] {
    if (s.train_on) {
      require_internal(token_shape.has_value(), "family '" + deck.family + "' is a language model without a token shape");
      s.train_tokens = std::make_unique<TrainTokens>(deck.train, token_shape->vocab_size, token_shape->max_seq_len,
                                                     last_train_step(deck.train, 0));
    }
    if (!s.opt.dry_run) {
      BuildContext plan_ctx;
      plan_ctx.mesh = s.mesh;
      plan_ctx.rank = w.rank;
      plan_ctx.dtype = deck.run.dtype;
      plan_ctx.overrides = &s.deck.overrides;
      s.rank_plan = plan_rank_memory(*s.model_config, plan_ctx);
      RunWork work;
      if (s.forward_on) {
        work.forward_tokens = &s.forward_tokens;
        work.forward_source =
            deck.forward.tokens_file.empty() ? "[forward]" : "the tokens file " + echo(deck.forward.tokens_file);
        work.dump_logits = !deck.forward.dump_logits.empty();
      }
      if (s.train_on) {
        work.train = &deck.train;
        work.train_batch = s.train_tokens->batch();
        work.train_seq_len = s.train_tokens->seq_len();
      }
      s.run_memory = plan_run_memory(s.rank_plan, work, w.size, w.rank);
    }
  });
  // --save: the destination is checked and its temporary directory made now,
  // before any heavy work; the saver removes it again unless the save completes.
  if (!s.ckpt.save.empty())  // --overwrite never replaces a folder the run reads from
    s.saver.prepare(w.comm, s.ckpt.save, s.ckpt.overwrite,
                    {{"the input deck", s.opt.deck_path}, {"the --load checkpoint", s.ckpt.load},
                     {"the tokens file", deck.forward.tokens_file}, {"the training tokens file", deck.train.tokens_file}});
  // Memory guard (collective): refuse now rather than be OOM-killed while allocating.
  if (!s.opt.dry_run)
    guard_memory(w.comm, s.run_memory.rank, {s.rank_plan.model_params, deck.run.dtype, w.size, s.rank_plan.buffer_bytes},
                 {s.opt.force, deck.debug.memory_available, s.device.device_id, device_free_memory(), s.run_memory.advice});
}

// The memory the build computes in, for [mpi] device_buffers: host memory
// (a host build, or CUDA's managed memory) goes to MPI as it is.
ComputeMemory compute_memory() {
  if (Kokkos::SpaceAccessibility<HostSpace, MemSpace>::accessible) return ComputeMemory::host;
#if defined(KOKKOS_ENABLE_CUDA)
  if (std::is_same<MemSpace, Kokkos::CudaSpace>::value) return ComputeMemory::cuda;
#endif
  return ComputeMemory::other_device;
}

// [mpi] device_buffers against what the library says, once, the same on
// every rank (an InputError for "on" with a library that is not CUDA-aware).
void resolve_device_buffers(RunState& s) {
  s.mpi_buffers = resolve_mpi_buffers(s.deck.mpi, compute_memory(), s.w.comm);
  if (!s.mpi_buffers.warning.empty() && s.w.root()) {
    std::fprintf(stderr, "titan_app: warning: %s\n", s.mpi_buffers.warning.c_str());
    std::fflush(stderr);
  }
}

void describe_run(RunState& s) {
  RunReport& r = s.report;
  r.deck = s.deck.path;
  r.resolved_deck = resolved_deck_toml(s.deck);
  r.world_size = s.ranks;
  r.dtype = dtype_name(s.deck.run.dtype);
  r.dry_run = s.opt.dry_run;
  r.family = s.deck.family;
  r.flavor = s.deck.flavor;
  r.mesh_dp_shard = s.mesh.size(dp_shard);
  r.mesh_ep = s.mesh.size(ep);
  r.mesh_tp = s.mesh.size(tp);
  r.mpi_device_buffers = s.mpi_buffers.summary;
  r.mpi_buffers_setting = device_buffers_name(s.mpi_buffers.setting);
  r.mpi_cuda_aware = cuda_awareness_name(s.mpi_buffers.detected);
  r.mpi_cuda_aware_how = s.mpi_buffers.detection;
  r.print_profile = s.opt.profile;
}

}  // namespace

bool set_up_run(RunState& s, int argc, char** argv) {
  if (!read_inputs(s, argc, argv)) return false;
  check_inputs(s);
  resolve_device_buffers(s);
  plan_run(s);
  describe_run(s);
  return true;
}

}  // namespace titan
