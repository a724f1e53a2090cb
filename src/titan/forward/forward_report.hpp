// The forward pass's part of the report (plain values; no Kokkos, no TOML).
#pragma once

#include "titan/report/comm_kind.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace titan {

struct ForwardReport {
  std::int64_t batch = 0, seq_len = 0, vocab_size = 0;
  std::string tokens;                    // where the tokens came from
  double loss = 0;                       // mean next-token cross-entropy over B*(T-1) predictions
  double ln_vocab = 0;                   // ln V: the loss of a uniform prediction
  double seconds = 0;                    // slowest rank, embedding to logits (best repetition)
  std::int64_t repetitions = 1;          // passes run ([forward] repetitions)
  double flops = 0;                      // all ranks, products actually computed (docs/forward.md)
  double tokens_per_s = 0, gflops = 0;   // B*T / seconds, flops / seconds / 1e9
  std::uint64_t logits_fingerprint = 0;  // wrapping sum of element_hash([b, t, v] index, float bits)
  std::int64_t peak_rss_min = 0, peak_rss_max = 0;  // VmHWM over ranks after the forward
  std::int64_t planned_bytes_max = 0;    // shards + one block gathered (fp32) + head chunk + activations + logits
  std::string dump_logits;               // file written ("" = none)
  double communication_s = 0;            // seconds in the gathers (slowest rank, the last repetition)
  std::vector<CommKindReport> comm;      // by collective kind, the last repetition (max over ranks)
};

}  // namespace titan
