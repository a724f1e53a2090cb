#include "titan/report/report.hpp"

#include "titan/core/human_bytes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace titan {

std::string hex64(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

namespace {

std::string grouped(std::int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > (v < 0 ? 1 : 0); i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

// The dry run's training plan (docs/training.md, "Planning before launch").
void print_train_plan(std::ostream& out, TrainPlanReport const& p) {
  static std::pair<char const*, char const*> const labels[] = {
      {"parameters", "parameters (this rank's shards)"},
      {"buffers", "buffers (every rank's copy)"},
      {"gradients", "gradients (float32)"},
      {"optimizer_states", "optimizer states (exp_avg, exp_avg_sq)"},
      {"masters", "float32 masters (bfloat16 params)"},
      {"activations", "activations"},
      {"gathered_blocks", "gathered-block scratch"},
      {"gather_staging", "communication staging"},
      {"logits", "logits"},
      {"token_ids", "token ids"},
      {"runtime", "runtime (MPI, Kokkos; measured)"}};
  out << "\ntraining plan: rank " << p.rank << " of " << p.ranks << " (the largest plan), batch " << p.batch
      << " x seq_len " << p.seq_len << ", activation checkpointing " << p.activation_checkpointing << "\n";
  for (auto const& [key, bytes] : p.terms) {
    std::string label = key;
    for (auto const& [k, l] : labels)
      if (key == k) label = l;
    out << "  " << std::left << std::setw(40) << label << std::right << std::setw(12)
        << human_bytes(static_cast<double>(bytes)) << "\n";
  }
  out << "  " << std::left << std::setw(40) << "peak" << std::right << std::setw(12)
      << human_bytes(static_cast<double>(p.peak_bytes)) << "\n";
  if (p.flops_per_step > 0)
    out << "  FLOPs per step (all ranks): " << std::setprecision(4) << p.flops_per_step << "\n";
  for (auto const& [kind, bytes] : p.comm_bytes_per_step)
    out << "  communication per step (this rank sends), " << kind << ": " << human_bytes(bytes) << "\n";
  if (p.memory_per_rank < 0) {
    out << "  fits: unknown (the memory per rank is unknown; give --memory-per-rank)\n";
  } else {
    out << "  fits: " << (p.fits && *p.fits ? "yes" : "NO") << " (needs "
        << human_bytes(static_cast<double>(p.needed_bytes))
        << " with the memory guard's margin of 256 MiB + 1/16 beside the runtime; "
        << human_bytes(static_cast<double>(p.memory_per_rank)) << " per rank: " << p.memory_source << ")\n";
    if (!p.advice.empty()) out << "  what would fit: " << p.advice << "\n";
  }
  out << "  (the batch is split over the dp_shard x ep ranks; tp splits attention heads, feed-forward hidden units and "
         "the vocabulary, so activations and logits are per tp rank, the routed experts computed whole on each; ep "
         "splits the routed experts' compute, tokens dispatched all-to-all, its bytes planned for balanced routing)\n";
}

}  // namespace

double RunReport::bytes_imbalance() const {
  return bytes_avg_per_rank > 0 ? static_cast<double>(bytes_max_per_rank) / bytes_avg_per_rank : 1.0;
}

void RunReport::print_summary(std::ostream& out) const {
  auto row = [&](std::string const& k, std::string const& v) {
    out << "| " << std::left << std::setw(22) << k << " | " << v << "\n";
  };
  out << "\n" << program << " " << version << (dry_run ? " -- dry run (plan only)" : "") << "\n";
  row("deck", deck);
  row("model", family + " " + flavor);
  row(dry_run ? "ranks (planned)" : "ranks", std::to_string(world_size));
  row("mesh", "dp_shard=" + std::to_string(mesh_dp_shard) + " x ep=" + std::to_string(mesh_ep) +
                  " x tp=" + std::to_string(mesh_tp));
  row("execution space", exec_space + " (Kokkos " + kokkos_version + ")");
  if (!device.empty()) row("rank 0 runs on", device);
  if (!mpi_device_buffers.empty())
    row("MPI buffers", mpi_device_buffers + " (device_buffers = \"" + mpi_buffers_setting + "\", CUDA-aware MPI: " +
                           mpi_cuda_aware + ")");
  row("dtype", dtype);
  row("parameters", grouped(params_total) + " (" + human_bytes(static_cast<double>(bytes_total)) + ")");
  row("params per rank", grouped(params_min_per_rank) + " .. " + grouped(params_max_per_rank) + " (min .. max)");
  row("bytes per rank", human_bytes(static_cast<double>(bytes_min_per_rank)) + " .. " +
                            human_bytes(static_cast<double>(bytes_max_per_rank)) + " (min .. max)");
  {
    std::ostringstream imb;
    imb << std::fixed << std::setprecision(4) << bytes_imbalance() << " (max / avg bytes per rank; avg "
        << human_bytes(bytes_avg_per_rank) << ")";
    row("imbalance", imb.str());
  }
  row("largest local shard", human_bytes(static_cast<double>(largest_shard_bytes)) +
                                 (largest_shard_fqn.empty() ? "" : " (" + largest_shard_fqn + ")"));
  if (!dry_run)
    row("peak RSS per rank", human_bytes(static_cast<double>(peak_rss_min)) + " .. " +
                                 human_bytes(static_cast<double>(peak_rss_max)));
  if (layout_verified) row("layout tiles tensors", *layout_verified ? "yes (verified)" : "NO");
  if (fingerprint) row("fingerprint", hex64(*fingerprint));
  if (!git_hash.empty()) row("git", git_hash);

  if (!phases.empty()) {
    out << "\n" << std::left << std::setw(14) << "phase" << std::right << std::setw(11) << "min_s" << std::setw(11)
        << "avg_s" << std::setw(11) << "max_s" << "\n";
    for (auto const& p : phases)
      out << std::left << std::setw(14) << p.name << std::right << std::fixed << std::setprecision(4) << std::setw(11)
          << p.min_s << std::setw(11) << p.avg_s << std::setw(11) << p.max_s << "\n";
    out.unsetf(std::ios::fixed);
  }
  if (!dry_run) {
    out << "\ninit throughput: " << std::setprecision(4) << init_params_per_s << " params/s, " << init_GBps
        << " GB/s (whole model over the slowest rank's init_states), " << init_params_per_s / world_size
        << " params/s per rank\n";
    if (fill_GBps > 0)
      out << "baseline: a plain Kokkos fill of the same bytes runs at " << std::setprecision(4) << fill_GBps
          << " GB/s; init_states takes " << std::setprecision(3) << init_over_fill << "x its time\n";
  }
  if (!init_profile.empty()) {
    std::size_t const shown = print_profile ? init_profile.size() : std::min<std::size_t>(5, init_profile.size());
    out << "\ninit_states by module (slowest rank, last repetition)" << (print_profile ? "" : "; --profile for all")
        << "\n";
    for (std::size_t i = 0; i < shown; ++i) {
      auto const& e = init_profile[i];
      out << "  " << std::left << std::setw(36) << e.group << std::right << std::fixed << std::setprecision(4)
          << std::setw(10) << e.max_s << " s" << std::setprecision(1) << std::setw(7) << 100 * e.fraction << " %"
          << std::setprecision(1) << std::setw(10) << e.elements / std::max(e.max_s, 1e-12) / 1e6 << " M elem/s\n";
      out.unsetf(std::ios::fixed);
    }
  }
  if (forward) {
    ForwardReport const& f = *forward;
    out << "\nforward: batch " << f.batch << " x seq_len " << f.seq_len << " (tokens: " << f.tokens << ")\n"
        << std::setprecision(6) << "  loss " << f.loss << " (ln V = " << f.ln_vocab << "), " << std::setprecision(4)
        << f.tokens_per_s << " tokens/s, " << f.gflops << " GFLOP/s (" << f.flops / 1e9 << " GFLOP in " << f.seconds
        << " s, slowest rank" << (f.repetitions > 1 ? ", best of " + std::to_string(f.repetitions) : std::string())
        << ")\n  logits fingerprint " << hex64(f.logits_fingerprint) << ", peak RSS per rank "
        << human_bytes(static_cast<double>(f.peak_rss_min)) << " .. " << human_bytes(static_cast<double>(f.peak_rss_max))
        << ", planned " << human_bytes(static_cast<double>(f.planned_bytes_max)) << " (max rank)"
        << (f.dump_logits.empty() ? std::string() : ", logits written to " + f.dump_logits) << "\n";
    out << "TITAN_FORWARD loss=" << std::setprecision(8) << f.loss << " ln_vocab=" << f.ln_vocab << std::setprecision(4)
        << " tokens_per_s=" << f.tokens_per_s << " gflops=" << f.gflops << " logits_fingerprint=" << hex64(f.logits_fingerprint)
        << "\n";
  }
  if (train && !train->steps.empty()) {
    TrainReport const& t = *train;
    TrainStepRecord const &first = t.steps.front(), &last = t.steps.back();
    double const total = t.forward_s + t.backward_s + t.optimizer_s;
    auto share = [&](double v) { return total > 0 ? 100.0 * v / total : 0.0; };
    out << "\ntrain: steps " << first.step << ".." << last.step << ", batch " << t.batch << " x seq_len " << t.seq_len
        << " (tokens: " << t.tokens << "), activation checkpointing " << t.activation_checkpointing << "\n"
        << std::setprecision(6) << "  loss " << first.loss << " -> " << last.loss << ", grad norm " << first.grad_norm
        << " -> " << last.grad_norm << ", lr " << first.lr << " -> " << last.lr << "\n"
        << std::setprecision(4) << "  " << t.tokens_per_s << " tokens/s; " << total << " s in all: forward "
        << share(t.forward_s) << " %, backward " << share(t.backward_s) << " %, optimizer " << share(t.optimizer_s)
        << " %, communication inside them " << share(t.communication_s) << " % (prefetched gathers in flight during compute "
        << share(t.overlapped_s) << " %" << (t.prefetch ? "" : ", prefetch off") << ")\n"
        << "  peak RSS per rank " << human_bytes(static_cast<double>(t.peak_rss_min)) << " .. "
        << human_bytes(static_cast<double>(t.peak_rss_max)) << ", optimizer state "
        << human_bytes(static_cast<double>(t.optimizer_state_bytes_max)) << " (max rank)";
    if (t.planned_peak_bytes > 0) out << ", planned " << human_bytes(static_cast<double>(t.planned_peak_bytes));
    out << "\n";
    if (t.moe.present)
      out << "  experts: (token, expert) rows computed per rank in the last step: max " << t.moe.rows_max << ", mean "
          << t.moe.rows_mean << ", imbalance (max/mean) " << (t.moe.rows_mean > 0 ? t.moe.rows_max / t.moe.rows_mean : 0.0)
          << "\n";
    out << "TITAN_TRAIN steps=" << t.steps.size() << std::setprecision(8) << " loss_first=" << first.loss
        << " loss_last=" << last.loss << std::setprecision(4) << " tokens_per_s=" << t.tokens_per_s
        << " fingerprint=" << hex64(t.fingerprint) << "\n";
  }
  if (train_plan) print_train_plan(out, *train_plan);
  for (auto const& c : checkpoints) {
    out << "\ncheckpoint " << c.kind << ": " << c.dir << " (" << c.names << " names, " << c.tensors << " tensors, "
        << c.files << " file" << (c.files == 1 ? "" : "s") << ", " << human_bytes(static_cast<double>(c.bytes)) << ")\n";
    out << "  " << std::setprecision(4) << c.seconds << " s, " << c.GBps_total << " GB/s total, " << c.GBps_per_rank
        << " GB/s per rank\n";
    if (c.sequential_sample_bytes > 0)
      out << "  sequential write on this machine: " << c.sequential_write_GBps << " GB/s (rank 0, "
          << human_bytes(static_cast<double>(c.sequential_sample_bytes)) << " written and fsynced in "
          << c.sequential_write_s << " s); the save ran at " << std::setprecision(3)
          << 100.0 * c.GBps_total / std::max(c.sequential_write_GBps, 1e-12) << " % of it\n";
  }
  double init_s = 0;
  for (auto const& p : phases)
    if (p.name == "init_states") init_s = p.max_s;
  out << "TITAN_SUMMARY ranks=" << world_size << " params=" << std::setprecision(4) << static_cast<double>(params_total)
      << " bytes_max_per_rank=" << bytes_max_per_rank << " init_s=" << init_s
      << " fingerprint=" << (fingerprint ? hex64(*fingerprint) : std::string("none")) << "\n";
}

namespace {

void json_string(std::ostream& o, std::string const& s) {
  o << '"';
  for (char c : s) {
    switch (c) {
      case '"': o << "\\\""; break;
      case '\\': o << "\\\\"; break;
      case '\n': o << "\\n"; break;
      case '\t': o << "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o << buf;
        } else {
          o << c;
        }
    }
  }
  o << '"';
}

void json_number(std::ostream& o, double v) {
  if (!std::isfinite(v)) {
    o << "null";
    return;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  o << buf;
}

template <class T>
void json_int_array(std::ostream& o, std::vector<T> const& v) {
  o << "[";
  for (std::size_t i = 0; i < v.size(); ++i) o << (i ? ", " : "") << v[i];
  o << "]";
}

void json_string_array(std::ostream& o, std::vector<std::string> const& v) {
  o << "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) o << ", ";
    json_string(o, v[i]);
  }
  o << "]";
}

}  // namespace

std::string RunReport::json() const {
  std::ostringstream o;
  auto key = [&](char const* k) { o << "  \"" << k << "\": "; };
  o << "{\n";
  key("program"), json_string(o, program), o << ",\n";
  key("version"), json_string(o, version), o << ",\n";
  key("deck"), json_string(o, deck), o << ",\n";
  key("world_size"), o << world_size << ",\n";
  key("dtype"), json_string(o, dtype), o << ",\n";
  key("dry_run"), o << (dry_run ? "true" : "false") << ",\n";
  key("model"), o << "{\"family\": ", json_string(o, family), o << ", \"flavor\": ", json_string(o, flavor), o << "},\n";
  key("mesh"), o << "{\"dp_shard\": " << mesh_dp_shard << ", \"tp\": " << mesh_tp << ", \"ep\": " << mesh_ep << "},\n";
  key("execution_space"), json_string(o, exec_space), o << ",\n";
  key("device"), json_string(o, device), o << ",\n";
  key("kokkos_version"), json_string(o, kokkos_version), o << ",\n";
  if (!mpi_device_buffers.empty()) {
    key("mpi"), o << "{\"device_buffers\": ", json_string(o, mpi_device_buffers);
    o << ", \"setting\": ", json_string(o, mpi_buffers_setting);
    o << ", \"cuda_aware\": ", json_string(o, mpi_cuda_aware);
    o << ", \"cuda_aware_detection\": ", json_string(o, mpi_cuda_aware_how), o << "},\n";
  }
  key("git"), json_string(o, git_hash), o << ",\n";
  key("params"), o << "{\"total\": " << params_total << ", \"activated\": " << params_activated
                   << ", \"min_per_rank\": " << params_min_per_rank << ", \"max_per_rank\": " << params_max_per_rank
                   << ", \"bytes_total\": " << bytes_total << ", \"bytes_min_per_rank\": " << bytes_min_per_rank
                   << ", \"bytes_max_per_rank\": " << bytes_max_per_rank
                   << ", \"bytes_avg_per_rank\": ";
  json_number(o, bytes_avg_per_rank);
  o << ", \"imbalance\": ";
  json_number(o, bytes_imbalance());
  o << ", \"largest_shard_bytes\": " << largest_shard_bytes;
  if (!largest_shard_fqn.empty()) o << ", \"largest_shard_fqn\": ", json_string(o, largest_shard_fqn);
  o << "},\n";
  if (!dry_run) key("memory"), o << "{\"peak_rss_min_per_rank\": " << peak_rss_min << ", \"peak_rss_max_per_rank\": " << peak_rss_max << "},\n";
  if (layout_verified) key("layout_verified"), o << (*layout_verified ? "true" : "false") << ",\n";
  if (fingerprint) key("fingerprint"), json_string(o, hex64(*fingerprint)), o << ",\n";
  if (forward) {
    ForwardReport const& f = *forward;
    key("forward"), o << "{\"batch\": " << f.batch << ", \"seq_len\": " << f.seq_len << ", \"vocab_size\": " << f.vocab_size
                      << ", \"tokens\": ", json_string(o, f.tokens);
    o << ", \"loss\": ", json_number(o, f.loss), o << ", \"ln_vocab\": ", json_number(o, f.ln_vocab);
    o << ", \"seconds\": ", json_number(o, f.seconds), o << ", \"repetitions\": " << f.repetitions;
    o << ", \"flops\": ", json_number(o, f.flops);
    o << ", \"tokens_per_s\": ", json_number(o, f.tokens_per_s), o << ", \"gflops\": ", json_number(o, f.gflops);
    o << ", \"communication\": ", json_number(o, f.communication_s), o << ", \"comm\": {";
    for (std::size_t i = 0; i < f.comm.size(); ++i) {
      o << (i ? ", " : "") << "\"" << f.comm[i].kind << "\": {\"bytes\": ", json_number(o, f.comm[i].bytes);
      o << ", \"seconds\": ", json_number(o, f.comm[i].seconds);
      o << ", \"model_bytes\": ", json_number(o, f.comm[i].model_bytes), o << "}";
    }
    o << "}";
    o << ", \"logits_fingerprint\": ", json_string(o, hex64(f.logits_fingerprint));
    o << ", \"peak_rss\": " << f.peak_rss_max << ", \"peak_rss_min\": " << f.peak_rss_min
      << ", \"planned_bytes\": " << f.planned_bytes_max;
    if (!f.dump_logits.empty()) o << ", \"dump_logits\": ", json_string(o, f.dump_logits);
    o << "},\n";
  }
  if (train) {
    TrainReport const& t = *train;
    key("train"), o << "{\"batch\": " << t.batch << ", \"seq_len\": " << t.seq_len << ", \"tokens\": ", json_string(o, t.tokens);
    o << ", \"activation_checkpointing\": ", json_string(o, t.activation_checkpointing);
    o << ", \"prefetch\": " << (t.prefetch ? "true" : "false");
    o << ", \"steps\": [";
    for (std::size_t i = 0; i < t.steps.size(); ++i) {
      TrainStepRecord const& r = t.steps[i];
      o << (i ? ", " : "") << "{\"step\": " << r.step << ", \"loss\": ", json_number(o, r.loss);
      o << ", \"grad_norm\": ", json_number(o, r.grad_norm), o << ", \"lr\": ", json_number(o, r.lr);
      o << ", \"seconds\": ", json_number(o, r.seconds);
      if (t.moe.present)
        o << ", \"moe_tokens_per_rank_max\": ", json_number(o, r.moe_rows_max), o << ", \"moe_tokens_per_rank_mean\": ",
            json_number(o, r.moe_rows_mean);
      o << "}";
    }
    o << "], \"tokens_per_s\": ", json_number(o, t.tokens_per_s);
    o << ", \"fingerprint\": ", json_string(o, hex64(t.fingerprint));
    o << ", \"seconds\": {\"forward\": ", json_number(o, t.forward_s), o << ", \"backward\": ", json_number(o, t.backward_s);
    o << ", \"optimizer\": ", json_number(o, t.optimizer_s), o << ", \"communication\": ", json_number(o, t.communication_s);
    o << ", \"communication_overlapped\": ", json_number(o, t.overlapped_s);
    o << "}, \"comm\": {";
    for (std::size_t i = 0; i < t.comm.size(); ++i) {
      o << (i ? ", " : "") << "\"" << t.comm[i].kind << "\": {\"bytes\": ", json_number(o, t.comm[i].bytes);
      o << ", \"seconds\": ", json_number(o, t.comm[i].seconds);
      o << ", \"model_bytes\": ", json_number(o, t.comm[i].model_bytes), o << "}";
    }
    o << "}, \"flops_per_step\": ", json_number(o, t.flops_per_step);
    o << ", \"flops_per_step_rank_max\": ", json_number(o, t.flops_per_step_rank_max);
    o << ", \"logits_bytes\": " << t.logits_bytes_max;
    o << ", \"peak_rss\": " << t.peak_rss_max << ", \"peak_rss_min\": " << t.peak_rss_min
      << ", \"planned_peak_bytes\": " << t.planned_peak_bytes << ", \"optimizer_state_bytes\": " << t.optimizer_state_bytes_max;
    o << ", \"tokens_per_expert\": [";
    for (std::size_t l = 0; l < t.tokens_per_expert.size(); ++l) {
      o << (l ? ", " : "") << "[";
      for (std::size_t e = 0; e < t.tokens_per_expert[l].size(); ++e) o << (e ? ", " : "") << t.tokens_per_expert[l][e];
      o << "]";
    }
    o << "]";
    if (t.moe.present) {
      o << ", \"moe\": {\"tokens_per_rank_max\": ", json_number(o, t.moe.rows_max);
      o << ", \"tokens_per_rank_mean\": ", json_number(o, t.moe.rows_mean);
      o << ", \"imbalance\": ", json_number(o, t.moe.rows_mean > 0 ? t.moe.rows_max / t.moe.rows_mean : 0.0);
      auto cube = [&](char const* name, std::vector<std::vector<std::vector<double>>> const& c) {
        o << ", \"" << name << "\": [";
        for (std::size_t l = 0; l < c.size(); ++l) {
          o << (l ? ", " : "") << "[";
          for (std::size_t r = 0; r < c[l].size(); ++r) {
            o << (r ? ", " : "") << "[";
            for (std::size_t e = 0; e < c[l][r].size(); ++e) o << (e ? ", " : "") << c[l][r][e];
            o << "]";
          }
          o << "]";
        }
        o << "]";
      };
      cube("routed", t.moe.routed);
      cube("computed", t.moe.computed);
      o << "}";
    }
    o << "},\n";
  }
  if (train_plan) {
    TrainPlanReport const& p = *train_plan;
    key("train_plan"), o << "{\"rank\": " << p.rank << ", \"ranks\": " << p.ranks << ", \"batch\": " << p.batch
                         << ", \"seq_len\": " << p.seq_len << ", \"activation_checkpointing\": ";
    json_string(o, p.activation_checkpointing);
    o << ", \"terms\": {";
    for (std::size_t i = 0; i < p.terms.size(); ++i) o << (i ? ", " : "") << "\"" << p.terms[i].first << "\": " << p.terms[i].second;
    o << "}, \"peak_bytes\": " << p.peak_bytes << ", \"needed_bytes\": " << p.needed_bytes
      << ", \"memory_per_rank\": " << p.memory_per_rank << ", \"memory_source\": ";
    json_string(o, p.memory_source);
    o << ", \"fits\": " << (p.fits ? (*p.fits ? "true" : "false") : "null") << ", \"advice\": ";
    json_string(o, p.advice);
    o << ", \"flops_per_step\": ", json_number(o, p.flops_per_step);
    o << ", \"comm_bytes_per_step\": {";
    for (std::size_t i = 0; i < p.comm_bytes_per_step.size(); ++i) {
      o << (i ? ", " : "") << "\"" << p.comm_bytes_per_step[i].first << "\": ";
      json_number(o, p.comm_bytes_per_step[i].second);
    }
    o << "}},\n";
  }
  key("phases"), o << "{";
  for (std::size_t i = 0; i < phases.size(); ++i) {
    o << (i ? ", " : "") << "\"" << phases[i].name << "\": {\"min_s\": ";
    json_number(o, phases[i].min_s);
    o << ", \"avg_s\": ";
    json_number(o, phases[i].avg_s);
    o << ", \"max_s\": ";
    json_number(o, phases[i].max_s);
    o << "}";
  }
  o << "},\n";
  key("throughput"), o << "{\"init_params_per_s\": ", json_number(o, init_params_per_s), o << ", \"init_GBps\": ",
      json_number(o, init_GBps), o << ", \"fill_GBps\": ", json_number(o, fill_GBps),
      o << ", \"init_over_fill\": ", json_number(o, init_over_fill), o << "},\n";
  key("init_profile"), o << "[";
  for (std::size_t i = 0; i < init_profile.size(); ++i) {
    auto const& e = init_profile[i];
    o << (i ? ", " : "") << "{\"group\": ", json_string(o, e.group);
    o << ", \"elements\": " << e.elements << ", \"max_s\": ", json_number(o, e.max_s);
    o << ", \"fraction\": ", json_number(o, e.fraction), o << "}";
  }
  o << "],\n";
  if (!checkpoints.empty()) {
    key("checkpoint"), o << "{";
    for (std::size_t i = 0; i < checkpoints.size(); ++i) {
      auto const& c = checkpoints[i];
      o << (i ? ", " : "") << "\"" << c.kind << "\": {\"dir\": ", json_string(o, c.dir);
      o << ", \"names\": ", json_string(o, c.names);
      o << ", \"bytes\": " << c.bytes << ", \"files\": " << c.files << ", \"tensors\": " << c.tensors;
      o << ", \"" << c.kind << "_s\": ", json_number(o, c.seconds);
      o << ", \"GBps_total\": ", json_number(o, c.GBps_total);
      o << ", \"GBps_per_rank\": ", json_number(o, c.GBps_per_rank);
      if (c.sequential_sample_bytes > 0) {
        o << ", \"sequential_write_GBps\": ", json_number(o, c.sequential_write_GBps);
        o << ", \"sequential_write_s\": ", json_number(o, c.sequential_write_s);
        o << ", \"sequential_sample_bytes\": " << c.sequential_sample_bytes;
      }
      o << "}";
    }
    o << "},\n";
  }
  key("resolved_deck"), json_string(o, resolved_deck), o << ",\n";
  key("buffers"), o << "[";
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    auto const& b = buffers[i];
    o << (i ? ",\n    " : "\n    ") << "{\"fqn\": ", json_string(o, b.fqn), o << ", \"shape\": ", json_int_array(o, b.shape);
    o << ", \"dtype\": ", json_string(o, b.dtype), o << ", \"fingerprint\": ", json_string(o, hex64(b.fingerprint)), o << "}";
  }
  o << "],\n";
  key("parameters"), o << "[";
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    auto const& p = parameters[i];
    o << (i ? ",\n    " : "\n    ") << "{\"fqn\": ", json_string(o, p.fqn);
    o << ", \"shape\": ", json_int_array(o, p.shape);
    o << ", \"dtype\": ", json_string(o, p.dtype);
    o << ", \"placements\": {";
    for (std::size_t m = 0; m < p.placements.size(); ++m) {
      o << (m ? ", " : "");
      json_string(o, p.placements[m].first);
      o << ": ";
      json_string(o, p.placements[m].second);
    }
    o << "}";
    if (!p.aliases.empty()) o << ", \"aliases\": ", json_string_array(o, p.aliases);
    o << ", \"init\": ", json_string(o, p.init);
    if (p.init_spec) {
      InitSpec const& is = *p.init_spec;
      o << ", \"init_spec\": {\"kind\": ", json_string(o, init_kind_name(is.kind));
      o << ", \"mean\": ", json_number(o, is.mean), o << ", \"std\": ", json_number(o, is.std);
      o << ", \"a\": ", json_number(o, is.a), o << ", \"b\": ", json_number(o, is.b);
      o << ", \"value\": ", json_number(o, is.value), o << "}";
    }
    if (p.mean) {
      o << ", \"mean\": ", json_number(o, *p.mean);
      o << ", \"std\": ", json_number(o, *p.std);
      o << ", \"min\": ", json_number(o, *p.min);
      o << ", \"max\": ", json_number(o, *p.max);
    }
    if (p.fingerprint) o << ", \"fingerprint\": ", json_string(o, hex64(*p.fingerprint));
    o << "}";
  }
  o << "\n  ]\n}\n";
  return o.str();
}

}  // namespace titan
