#include "titan/forward/forward_memory.hpp"

#include "titan/core/errors.hpp"
#include "titan/forward/forward_settings.hpp"
#include "titan/parallel/placement.hpp"

#include <algorithm>
#include <climits>
#include <limits>

namespace titan {

namespace {
constexpr double f4 = 4, i8 = 8;  // float32 and int64 bytes
}  // namespace

std::int64_t saturate_bytes(double v) {
  double const top = static_cast<double>(std::numeric_limits<std::int64_t>::max());
  return v >= top ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(v);
}

bool reads_in_place(std::vector<ParameterPtr> const& params, int world) {
  if (world != 1) return false;
  for (auto const& p : params)
    if (p->dtype() != DType::float32) return false;
  return true;
}

std::int64_t ForwardMemoryPlan::total() const {
  double t = 0;
  for (auto const& [name, bytes] : terms()) t += static_cast<double>(bytes);
  return saturate_bytes(t);
}

std::vector<std::pair<std::string, std::int64_t>> ForwardMemoryPlan::terms() const {
  return {{"activations", activations}, {"logits", logits},       {"gather pool", gather_pool},
          {"vocabulary chunk", head_chunk}, {"gather staging", gather_staging}, {"token ids", token_ids},
          {"logits dump", dump}};
}

ForwardMemoryPlan plan_forward_memory(LanguageModel const& m, std::vector<ParameterPtr> const& params,
                                      std::int64_t batch, std::int64_t seq_len, int world, int rank, bool dump_logits,
                                      bool device_build) {
  ForwardMemoryPlan p;
  std::int64_t const D = m.model_dim(), V = m.vocab_size();
  bool const in_place = reads_in_place(params, world) || m.computes_from_local_shards();  // nothing gathered
  p.chunk_rows = m.vocab_chunk_rows();
  double const chunk = static_cast<double>(p.chunk_rows) * static_cast<double>(D);
  p.pool_elems = in_place ? 0 : m.largest_gathered_block_numel();
  p.gather_elems = in_place ? 0 : saturate_bytes(std::max(static_cast<double>(m.largest_parameter_numel()), chunk));

  // The batch over the data-parallel ranks (the tp ranks share sequences; tp fastest).
  auto const seq = chunk_range(batch, world / m.tp_size(), rank / m.tp_size());
  p.n_seq = seq[1];
  double const Vl = static_cast<double>(m.logits_columns());  // this rank's logits columns
  double const T = static_cast<double>(seq_len), N = static_cast<double>(seq[1]) * T;
  double const Dd = static_cast<double>(D), Vd = static_cast<double>(V), B = static_cast<double>(batch);
  p.tokens = saturate_bytes(N);

  p.gather_pool = saturate_bytes(f4 * static_cast<double>(p.pool_elems));
  p.head_chunk = saturate_bytes((in_place ? 0 : f4 * chunk) + f4 * N * static_cast<double>(p.chunk_rows));
  LanguageModel::BlocksBytes const blocks = m.blocks_activation_bytes(seq[1], seq_len);
  p.activations = saturate_bytes(2 * f4 * N * Dd + blocks.forward);  // x and the next block's output, the block's own
  p.logits = saturate_bytes(f4 * N * Vl);
  p.token_ids = saturate_bytes(i8 * B * T + i8 * N);
  // ParamGather::rows: its part (at most the whole gather) and everyone's;
  // on a device build also the unpacked rows on the host and a host copy of
  // a whole local shard (at most the largest tensor, the embedding among them).
  double staging = 2 * f4 * static_cast<double>(p.gather_elems);
  if (device_build) staging += f4 * static_cast<double>(p.gather_elems) + f4 * std::max(static_cast<double>(m.largest_parameter_numel()), Vd * Dd);
  if (world > 1) {  // the next block's gather in flight (WeightStore::prefetch): each tensor whole and this rank's boxes
    double const block = static_cast<double>(m.largest_gathered_block_numel());
    staging += f4 * block * (1 + 1.0 / world) + (device_build ? f4 * block : 0);
  }
  p.gather_staging = saturate_bytes(staging);
  if (dump_logits) {
    double d = device_build ? f4 * N * Vl : 0;  // the host copy each rank sends from
    if (rank == 0) d += 2 * f4 * B * T * Vd + 2 * i8 * B * T + 4096;  // gathered logits, the file's bytes
    p.dump = saturate_bytes(d);
  }
  return p;
}

void check_forward_batch(std::int64_t batch, std::int64_t seq_len, std::int64_t vocab_size, bool dump_logits,
                         std::string const& source) {
  require(batch >= 1 && batch <= max_forward_batch,
          "forward: " + source + " holds a batch of " + std::to_string(batch) + " sequences; at most " +
              std::to_string(max_forward_batch) + " are accepted (as [forward] batch)");
  require(seq_len >= 2 && seq_len <= max_forward_seq_len,
          "forward: " + source + " holds sequences of " + std::to_string(seq_len) + " tokens; between 2 and " +
              std::to_string(max_forward_seq_len) + " are accepted (as [forward] seq_len)");
  double const n = static_cast<double>(batch) * static_cast<double>(seq_len) * static_cast<double>(vocab_size);
  require(!dump_logits || n <= static_cast<double>(INT_MAX),
          "--dump-logits: the logits [" + std::to_string(batch) + ", " + std::to_string(seq_len) + ", " +
              std::to_string(vocab_size) + "] hold " + std::to_string(static_cast<long long>(n)) +
              " values; at most 2147483647 can be gathered and dumped (lower forward.batch or forward.seq_len)");
}

std::int64_t largest_forward_batch(LanguageModel const& model, std::vector<ParameterPtr> const& params,
                                   std::int64_t batch, std::int64_t seq_len, int world, bool dump_logits,
                                   bool device_build, double room) {
  auto fits = [&](std::int64_t b) {
    return static_cast<double>(
               plan_forward_memory(model, params, b, seq_len, world, 0, dump_logits, device_build).total()) <= room;
  };
  if (!fits(1)) return 0;
  std::int64_t lo = 1, hi = batch;  // fits(lo); the answer is in [lo, hi]
  if (fits(hi)) return hi;
  while (hi - lo > 1) {
    std::int64_t const mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace titan
