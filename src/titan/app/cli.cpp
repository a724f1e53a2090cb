#include "titan/app/cli.hpp"

#include "titan/app/kokkos_flags.hpp"
#include "titan/config/closest_match.hpp"
#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/human_bytes.hpp"

#include <algorithm>
#include <optional>

namespace titan {

std::string usage_text() {
  return R"(usage: titan_app [options] DECK.toml
       mpirun -n N titan_app [options] DECK.toml

Builds the transformer described by the TOML input deck, initializes every
parameter on the rank that owns it (in its sharded layout), and reports
timings, memory and a layout-invariant fingerprint.

options:
  --set KEY=VALUE     override a deck key (TOML value; a bare word is a string),
                      e.g. --set run.dtype=bfloat16 --set mesh.tp=2; repeatable
  --dry-run           build the module tree and layouts only: no allocation,
                      no initialization; reports parameters and bytes per rank
  --ranks N           with --dry-run: plan for N ranks (default: the MPI world size)
  --memory-per-rank BYTES
                      with --dry-run --train: judge the training plan against
                      this much memory per rank (e.g. 80GiB, a device's memory;
                      units B, KiB..PiB, KB..PB); default: this node's available
                      memory over the ranks of this launch on it
  --report-json FILE  also write the report as JSON (written atomically)
  --verify-layout     after init, check collectively that the local shards tile
                      every tensor exactly once per replica group and that
                      replicas hold identical values (with --dry-run: the
                      planned tiling); a failure exits with status 1
  --verify            after init (or --load), read every local shard back from
                      memory and check it against the statistics and
                      fingerprint the init kernels computed as they stored it
                      (phase "verify"); a difference exits with status 1
  --forward           after init, run the model on a batch ([forward] table:
                      batch, seq_len, tokens_seed or tokens_file) and report
                      the next-token loss, tokens/s, GFLOP/s and a logits
                      fingerprint (docs/forward.md)
  --dump-logits FILE  with the forward pass (implied): write logits F32 [B, T, V]
                      and tokens I64 [B, T] to FILE as safetensors (rank 0, atomically)
  --train             after init (or --load), run training steps ([train] table:
                      steps, batch, seq_len, tokens_seed or tokens_file, lr,
                      beta1, beta2, eps, weight_decay, max_norm, warmup_steps,
                      decay, decay_ratio, min_lr_factor, total_steps,
                      activation_checkpointing; torchtitan's defaults): forward,
                      backward, global gradient clipping, AdamW; a progress line
                      per step, loss, grad norm, lr and tokens/s in the report;
                      --save then also writes the optimizer state, --load resumes
                      from it (docs/training.md). [train] steps > 0 trains too.
                      With --dry-run: the training-memory plan of the largest
                      rank, term by term, its peak, whether it fits and what
                      would (docs/training.md, "Planning before launch")
  --force             run even when the memory guard finds that the planned
                      allocations exceed the memory available on a node
  --save DIR          after init, write the model as sharded safetensors into DIR
                      (model-0000i-of-0000N.safetensors + model.safetensors.index.json;
                      written into a temporary sibling, renamed when complete);
                      docs/checkpoint.md
  --overwrite         with --save: replace an existing DIR (after the new one is
                      complete) when it is a titan_app checkpoint and nothing
                      else; never /, the current directory or a parent of it,
                      a home directory, or a folder holding an input
  --load DIR          fill the parameters from the checkpoint in DIR instead of the
                      initializers (any mesh; the init phase becomes 'load')
  --checkpoint-names titan|hf
                      tensor names in the checkpoint: titan's FQNs (default) or
                      Hugging Face's (every family: the HF architecture's names and
                      layouts, config.json written and, on --load, checked)
  --load-names titan|hf, --save-names titan|hf
                      the same for --load or --save alone (e.g. load titan names,
                      save HF names); they win over --checkpoint-names
  --load-convert-dtype
                      with --load: accept a checkpoint stored in the other dtype
                      (bfloat16 <-> float32) and convert it to run.dtype
  --print-config      print the fully resolved deck and exit
  --quiet             no progress lines on stderr
  --profile           print init_states time of every module group (the JSON
                      report always has it, as init_profile)
  --version           print the version and exit
  -h, --help          print this help and exit

exit status: 0 success, 1 a fault while running, 2 bad input.
Keys of the deck: docs/input_deck.md.

)" + kokkos_flags_help();
}

Options parse_command_line(int argc, char** argv) {
  Options o;
  std::vector<std::string> const flags = {"--set", "--dry-run", "--ranks", "--report-json", "--print-config",
                                          "--quiet", "--profile", "--version", "--help", "-h", "--verify-layout", "--verify", "--force",
                                          "--forward", "--dump-logits", "--train", "--save", "--load", "--overwrite",
                                          "--checkpoint-names", "--load-names", "--save-names", "--load-convert-dtype",
                                          "--memory-per-rank"};
  // Every flag that takes a value accepts both "--flag VALUE" and
  // "--flag=VALUE" (issue 12); a flag without a value refuses "=...".
  std::vector<std::string> const value_flags = {"--set",  "--ranks", "--report-json",     "--dump-logits",
                                                "--save", "--load",  "--checkpoint-names", "--load-names", "--save-names",
                                                "--memory-per-rank"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::optional<std::string> inline_value;
    if (a.rfind("--", 0) == 0 && a.rfind("--kokkos-", 0) != 0) {
      auto const eq = a.find('=');
      if (eq != std::string::npos) {
        std::string const name = a.substr(0, eq);
        if (std::find(value_flags.begin(), value_flags.end(), name) != value_flags.end()) {
          inline_value = a.substr(eq + 1);
          a = name;
        } else if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
          throw InputError(name + " takes no value (got '" + echo(a) + "'); see --help");
        }
      }
    }
    auto value_of = [&](std::string const& flag) -> std::string {
      if (inline_value) return *inline_value;
      require(i + 1 < argc, flag + " needs a value (see --help)");
      return argv[++i];
    };
    if (a == "--set") o.sets.push_back(value_of(a));
    else if (a == "--dry-run") o.dry_run = true;
    else if (a == "--ranks") {
      std::string const v = value_of(a);
      std::size_t used = 0;
      long n = 0;
      try {
        n = std::stol(v, &used);
      } catch (std::exception const&) {
        used = 0;
      }
      require(used == v.size() && n >= 1 && n <= (1L << 24),
              "--ranks " + echo(v) + ": expected a rank count between 1 and 16777216");
      o.plan_ranks = static_cast<int>(n);
    } else if (a == "--memory-per-rank") {
      std::string const v = value_of(a);
      std::optional<std::int64_t> const bytes = parse_bytes(v);
      require(bytes.has_value(), "--memory-per-rank '" + echo(v) + "'" +
                                     ": expected a positive byte count with an optional unit, e.g. 80GiB, 1.5TB or 4096");
      o.memory_per_rank = *bytes;
    } else if (a == "--report-json") {
      o.report_json = value_of(a);
      require(!o.report_json.empty(), "--report-json: the path is empty");
    }
    else if (a == "--print-config") o.print_config = true;
    else if (a == "--quiet") o.quiet = true;
    else if (a == "--profile") o.profile = true;
    else if (a == "--force") o.force = true;
    else if (a == "--verify-layout") o.verify_layout = true;
    else if (a == "--verify") o.verify = true;
    else if (a == "--forward") o.forward = true;
    else if (a == "--train") o.train = true;
    else if (a == "--dump-logits" || a == "--save" || a == "--load") {
      // An empty path would silently turn the feature off (issue 19).
      std::string const v = value_of(a);
      require(!v.empty(), a + ": the path is empty");
      (a == "--dump-logits" ? o.dump_logits : a == "--save" ? o.save_dir : o.load_dir) = v;
    }
    else if (a == "--overwrite") o.overwrite = true;
    else if (a == "--checkpoint-names" || a == "--load-names" || a == "--save-names") {
      std::string& names = a == "--checkpoint-names" ? o.checkpoint_names : a == "--load-names" ? o.load_names : o.save_names;
      names = value_of(a);
      require(names == "titan" || names == "hf", a + " " + echo(names) + ": expected 'titan' or 'hf'");
    } else if (a == "--load-convert-dtype") o.load_convert_dtype = true;
    else if (a == "--version") o.version = true;
    else if (a == "--help" || a == "-h") o.help = true;
    else if (a.rfind("--kokkos-", 0) == 0) {  // Kokkos' own flags: checked, then left to Kokkos
      std::string const problem = kokkos_flag_problem(a);
      if (!problem.empty()) throw InputError(problem);
    }
    else if (a.size() > 1 && a[0] == '-') {
      std::string msg = "unknown option '" + echo(a) + "'";
      std::string const close = closest_match(a.substr(0, a.find('=')), flags);
      if (!close.empty()) msg += " (did you mean '" + close + "'?)";
      throw InputError(msg + "; see --help");
    } else {
      require(o.deck_path.empty(), "more than one deck given ('" + echo(o.deck_path) + "' and '" + echo(a) + "')");
      o.deck_path = a;
    }
  }
  require(o.plan_ranks == 0 || o.dry_run, "--ranks plans for another world size and needs --dry-run");
  require(o.memory_per_rank == 0 || o.dry_run,
          "--memory-per-rank judges a dry run's training plan and needs --dry-run (a real run's memory guard reads the memory it has)");
  require(!o.verify || !o.dry_run, "--verify reads the initialized parameters back; --dry-run initializes nothing");
  require(o.help || o.version || !o.deck_path.empty(), "no input deck given; usage: titan_app [options] DECK.toml (see --help)");
  return o;
}

}  // namespace titan
