#include "titan/train/train_memory.hpp"

#include "titan/core/human_bytes.hpp"
#include "titan/forward/forward_memory.hpp"
#include "titan/parallel/placement.hpp"

#include <algorithm>

namespace titan {

namespace {
constexpr double f4 = 4, i8 = 8;

bool shards_on_several_dims(std::vector<ParameterPtr> const& params) {
  for (auto const& q : params) {
    int dims = 0;
    for (Placement const& pl : q->placements()) dims += pl.is_shard() ? 1 : 0;
    if (dims > 1) return true;
  }
  return false;
}
}  // namespace

std::int64_t TrainMemoryPlan::total() const {
  double t = 0;
  for (auto const& [name, bytes] : terms()) t += static_cast<double>(bytes);
  return saturate_bytes(t);
}

std::vector<std::pair<std::string, std::int64_t>> TrainMemoryPlan::terms() const {
  return {{"gradients", gradients}, {"optimizer states", optimizer_states}, {"float32 masters", masters},
          {"activations", activations}, {"logits", logits}, {"gathered blocks", gather},
          {"gather staging", gather_staging}, {"token ids", token_ids}};
}

TrainMemoryPlan plan_train_memory(LanguageModel const& m, std::vector<ParameterPtr> const& params,
                                  TrainSettings const& s, std::int64_t batch, std::int64_t seq_len, int world, int rank,
                                  bool device_build) {
  TrainMemoryPlan p;
  double grads = 0, masters = 0;
  for (auto const& q : params) {
    double const n = static_cast<double>(q->local_numel());
    grads += f4 * n;
    if (q->dtype() == DType::bfloat16) masters += f4 * n;
  }
  p.gradients = saturate_bytes(grads);
  p.optimizer_states = saturate_bytes(2 * grads);
  p.masters = saturate_bytes(masters);

  // The batch over the data-parallel ranks (the tp ranks share sequences; tp fastest).
  auto const seq = chunk_range(batch, world / m.tp_size(), rank / m.tp_size());
  double const T = static_cast<double>(seq_len), N = static_cast<double>(seq[1]) * T;
  double const D = static_cast<double>(m.model_dim());
  double const chunk_rows = static_cast<double>(m.vocab_chunk_rows());
  LanguageModel::BlocksBytes const b = m.blocks_activation_bytes(seq[1], seq_len);
  bool const checkpoint = s.activation_checkpointing == ActivationCheckpointing::full;
  // Kept to the end of the forward: every block's buffers, or with
  // checkpointing only their inputs (plus one block recomputed in backward);
  // then the larger of a block's forward and backward buffers; the residual
  // stream, the final norm's input and output, and the head's input.
  double const kept = checkpoint ? b.kept_inputs + b.largest_kept : b.kept;
  p.activations = saturate_bytes(kept + std::max(b.forward, b.backward) + 4 * f4 * N * D);
  // Logits (then dlogits) of this rank's columns (V / tp vocabulary-parallel) and the head's chunk buffers.
  double const Vl = static_cast<double>(m.logits_columns());
  p.logits = saturate_bytes(f4 * N * Vl + 2 * f4 * N * std::min(chunk_rows, Vl));
  bool const in_place = reads_in_place(params, world) || m.computes_from_local_shards();
  double gather = 0;
  if (!in_place) gather += f4 * static_cast<double>(m.largest_gathered_block_numel()) + f4 * chunk_rows * D;  // pools, rows
  if (world > 1) gather += f4 * static_cast<double>(m.largest_block_numel()) + f4 * chunk_rows * D;  // gradient pools
  p.gather = saturate_bytes(gather);
  double const gather_elems = in_place ? 0 : std::max(static_cast<double>(m.largest_parameter_numel()), chunk_rows * D);
  double staging = 2 * f4 * gather_elems + (device_build ? 2 * f4 * gather_elems : 0);
  if (world > 1 && !in_place) {  // gathers and reduce-scatters
    double const block = static_cast<double>(m.largest_gathered_block_numel()), largest = static_cast<double>(m.largest_parameter_numel());
    // The prefetched block in flight: each tensor's gathered whole and this
    // rank's boxes (about 1/world of it), on the host.
    if (s.prefetch) staging += f4 * block * (1 + 1.0 / world) + (device_build ? f4 * block : 0);
    // The reduce-scatter's received box (largest tensor / world) and, when
    // the members' boxes are not whole rows in member order (more than one
    // mesh dimension shards a tensor), its packed send buffer.
    staging += f4 * largest / world;
    if (shards_on_several_dims(params)) staging += f4 * largest;
  }
  p.gather_staging = saturate_bytes(staging);
  p.token_ids = saturate_bytes(i8 * static_cast<double>(batch) * T + 4 * i8 * N);
  return p;
}

std::string train_memory_advice(LanguageModel const& m, std::vector<ParameterPtr> const& params,
                                TrainSettings const& s, std::int64_t batch, std::int64_t seq_len, int world,
                                bool device_build, double room, int rank, bool hint_ranks) {
  auto total = [&](TrainSettings const& st, std::int64_t b, std::int64_t t) {
    return static_cast<double>(plan_train_memory(m, params, st, b, t, world, rank, device_build).total());
  };
  std::string const on = " on rank " + std::to_string(rank);
  std::string out = "training at batch = " + std::to_string(batch) + ", seq_len = " + std::to_string(seq_len) +
                    " needs " + human_bytes(total(s, batch, seq_len)) + on;
  // The largest batch <= `batch` that fits at this seq_len (0: not even 1).
  auto largest = [&](TrainSettings const& st) -> std::int64_t {
    if (total(st, 1, seq_len) > room) return 0;
    std::int64_t lo = 1, hi = batch;
    if (total(st, hi, seq_len) <= room) return hi;
    while (hi - lo > 1) {
      std::int64_t const mid = lo + (hi - lo) / 2;
      (total(st, mid, seq_len) <= room ? lo : hi) = mid;
    }
    return lo;
  };
  std::int64_t const fits = largest(s);
  out += fits > 0 ? "; at most train.batch = " + std::to_string(fits) + " fits at seq_len = " + std::to_string(seq_len)
                  : "; not even train.batch = 1 fits at seq_len = " + std::to_string(seq_len);
  // Halving seq_len (down to the smallest a step takes, 2) at the deck's batch.
  std::int64_t halved = seq_len / 2;
  while (halved >= 2 && total(s, batch, halved) > room) halved /= 2;
  out += halved >= 2 ? "; train.seq_len = " + std::to_string(halved) + " fits at batch = " + std::to_string(batch)
                     : "; no halving of train.seq_len fits at batch = " + std::to_string(batch);
  if (s.activation_checkpointing == ActivationCheckpointing::none) {
    TrainSettings ac = s;
    ac.activation_checkpointing = ActivationCheckpointing::full;
    std::int64_t const with = largest(ac);
    out += "; with train.activation_checkpointing = full: " +
           (with > 0 ? "train.batch = " + std::to_string(with) : std::string("not even batch 1"));
  }
  if (fits == 0 && hint_ranks) out += " (more ranks shard the parameters, gradients and optimizer states)";
  return out;
}

}  // namespace titan
