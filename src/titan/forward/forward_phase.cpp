#include "titan/forward/forward_phase.hpp"

#include "titan/core/memory_usage.hpp"
#include "titan/core/profile_region.hpp"
#include "titan/forward/safetensors.hpp"
#include "titan/parallel/collective.hpp"

#include <cmath>

namespace titan {

ForwardReport forward_phase(Module const& model, DecoderSpec const& spec, Mesh const& mesh, MPI_Comm comm,
                            ForwardTokens const& tokens, bool dump_logits, AtomicFile* dump, double& local_seconds) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  collective(comm, [&] { check_spec_against_model(model, spec); });
  ForwardOutcome o;
  {
    ProfileRegion region("forward");
    o = run_forward(model, spec, mesh, comm, tokens, dump_logits);
  }
  local_seconds = o.seconds;

  ForwardReport r;
  r.batch = tokens.batch;
  r.seq_len = tokens.seq_len;
  r.vocab_size = spec.vocab_size;
  r.tokens = tokens.source;
  r.loss = o.loss;
  r.ln_vocab = std::log(static_cast<double>(spec.vocab_size));
  r.logits_fingerprint = o.fingerprint;
  std::int64_t const rss = peak_resident_bytes();
  TITAN_MPI_CHECK(MPI_Allreduce(&o.seconds, &r.seconds, 1, MPI_DOUBLE, MPI_MAX, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&o.flops, &r.flops, 1, MPI_DOUBLE, MPI_SUM, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&rss, &r.peak_rss_min, 1, MPI_INT64_T, MPI_MIN, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&rss, &r.peak_rss_max, 1, MPI_INT64_T, MPI_MAX, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(&o.planned_bytes, &r.planned_bytes_max, 1, MPI_INT64_T, MPI_MAX, comm));
  if (r.seconds > 0) {
    r.tokens_per_s = static_cast<double>(r.batch * r.seq_len) / r.seconds;
    r.gflops = r.flops / r.seconds / 1e9;
  }
  if (dump_logits) {
    if (dump) r.dump_logits = dump->path();
    collective(comm, [&] {
      if (!dump) return;
      std::vector<SafeTensor> t(2);
      t[0] = {"logits", "F32", {r.batch, r.seq_len, spec.vocab_size}, o.logits.data(),
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
