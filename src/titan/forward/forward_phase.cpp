#include "titan/forward/forward_phase.hpp"

#include "titan/core/errors.hpp"
#include "titan/core/memory_usage.hpp"
#include "titan/core/profile_region.hpp"
#include "titan/forward/safetensors.hpp"
#include "titan/parallel/collective.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace titan {

namespace {
std::string hex(std::uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%016" PRIx64, v);
  return b;
}
}  // namespace

ForwardReport forward_phase(Module& model, Mesh const& mesh, MPI_Comm comm, bool mpi_device_pointers,
                            ForwardTokens const& tokens, std::int64_t repetitions, bool dump_logits, AtomicFile* dump,
                            double& local_seconds, std::function<void()> const& step_done) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  ForwardOutcome o;
  double best_slowest = 0;
  for (std::int64_t rep = 0; rep < repetitions; ++rep) {
    bool const last = rep + 1 == repetitions;
    ForwardOutcome cur;
    {
      ProfileRegion region("forward");
      // logits gathered once
      cur = run_forward(model, mesh, comm, mpi_device_pointers, tokens, dump_logits && last, step_done);
    }
    double slowest = 0;
    TITAN_MPI_CHECK(MPI_Allreduce(&cur.seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm));
    // Loss and fingerprint are already reduced, so every rank decides alike;
    // the verdict still goes through collective(), like every failure here.
    collective(comm, [&] {
      if (rep > 0 && (cur.fingerprint != o.fingerprint || cur.loss != o.loss))
        throw RunError("forward: repetition " + std::to_string(rep + 1) + " gave logits fingerprint " +
                       hex(cur.fingerprint) + ", the first " + hex(o.fingerprint) + " (the pass is not deterministic)");
      if (!std::isfinite(cur.loss))
        throw RunError("forward: the loss is not finite (" + std::to_string(cur.loss) + ") in repetition " +
                       std::to_string(rep + 1));
    });
    if (rep == 0 || slowest < best_slowest) {
      best_slowest = slowest;
      local_seconds = cur.seconds;
    }
    double const seconds = local_seconds;
    o = std::move(cur);
    o.seconds = seconds;  // this rank's time in the best repetition
  }

  ForwardReport r;
  r.batch = tokens.batch;
  r.seq_len = tokens.seq_len;
  r.vocab_size = as_language_model(model).vocab_size();
  r.tokens = tokens.source;
  r.loss = o.loss;
  r.ln_vocab = std::log(static_cast<double>(r.vocab_size));
  r.logits_fingerprint = o.fingerprint;
  std::int64_t const rss = peak_resident_bytes();
  r.repetitions = repetitions;
  r.seconds = best_slowest;
  TITAN_MPI_CHECK(MPI_Allreduce(&o.flops, &r.flops, 1, MPI_DOUBLE, MPI_SUM, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&rss, &r.peak_rss_min, 1, MPI_INT64_T, MPI_MIN, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&rss, &r.peak_rss_max, 1, MPI_INT64_T, MPI_MAX, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&o.planned_bytes, &r.planned_bytes_max, 1, MPI_INT64_T, MPI_MAX, comm));
  {  // the last repetition's communication, max over ranks
    std::vector<double> v;
    for (std::size_t k = 0; k < 4; ++k) v.insert(v.end(), {o.comm_bytes[k], o.comm_seconds[k], o.comm_model_bytes[k]});
    double total = o.comm_seconds[0] + o.comm_seconds[1] + o.comm_seconds[2] + o.comm_seconds[3];
    v.push_back(total);
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_DOUBLE, MPI_MAX, comm));
    char const* const kinds[] = {"all_gather", "reduce_scatter", "all_reduce", "all_to_all"};
    for (std::size_t k = 0; k < 4; ++k) r.comm.push_back({kinds[k], v[3 * k], v[3 * k + 1], v[3 * k + 2]});
    r.communication_s = v.back();
  }
  if (r.seconds > 0) {
    r.tokens_per_s = static_cast<double>(r.batch * r.seq_len) / r.seconds;
    r.gflops = r.flops / r.seconds / 1e9;
  }
  if (dump_logits) {
    if (dump) r.dump_logits = dump->path();
    collective(comm, [&] {
      if (!dump) return;
      std::vector<SafeTensor> t(2);
      t[0] = {"logits", "F32", {r.batch, r.seq_len, r.vocab_size}, o.logits.data(),
              static_cast<std::int64_t>(o.logits.size() * sizeof(float))};
      t[1] = {"tokens", "I64", {r.batch, r.seq_len}, tokens.ids.data(),
              static_cast<std::int64_t>(tokens.ids.size() * sizeof(std::int64_t))};
      dump->write(safetensors_bytes(t));
    });
    collective(comm, [&] {
      if (dump) dump->commit();
    });
  }
  return r;
}

}  // namespace titan
