#include "titan/forward/forward_memory.hpp"

#include "titan/core/errors.hpp"
#include "titan/forward/forward.hpp"
#include "titan/forward/forward_settings.hpp"
#include "titan/parallel/placement.hpp"

#include <algorithm>
#include <climits>
#include <limits>

namespace titan {

namespace {

// Byte counts in double (exact below 2^53, no overflow for absurd batches),
// saturated at INT64_MAX when stored.
std::int64_t saturate(double v) {
  double const top = static_cast<double>(std::numeric_limits<std::int64_t>::max());
  return v >= top ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(v);
}

double numel_d(Shape const& s) {
  double n = 1;
  for (auto e : s) n *= static_cast<double>(e);
  return n;
}

constexpr double f4 = 4, i8 = 8;  // float32 and int64 bytes

// Activations(spec, n_seq, T) (block.cpp, mla.cpp), view by view.
double block_activation_bytes(DecoderSpec const& s, double n_seq, double T) {
  double const N = n_seq * T, hd = static_cast<double>(s.head_dim), D = static_cast<double>(s.dim);
  double F = 0;
  for (auto const& l : s.layers)
    if (l.ffn == FfnKind::dense) F = std::max(F, static_cast<double>(l.ffn_hidden));
  bool const mla = s.attention == AttentionKind::mla;
  double const hq = mla ? 0 : static_cast<double>(s.n_heads), hkv = mla ? 0 : static_cast<double>(s.n_kv_heads);
  double e = N * D                 // xn
             + N * hq * hd         // q
             + 2 * N * hkv * hd    // k, v
             + N * hq * hd         // attn
             + N * D               // y
             + 2 * N * F           // h1, h3
             + T * T               // scores
             + 2 * n_seq * hq * T * hd    // qh, oh
             + 2 * n_seq * hkv * T * hd;  // kh, vh
  if (mla) {
    MLASpec const& m = s.mla;
    double const H = static_cast<double>(s.n_heads), nope = static_cast<double>(m.qk_nope_head_dim),
                 rope = static_cast<double>(m.qk_rope_head_dim), v = static_cast<double>(m.v_head_dim),
                 ql = static_cast<double>(m.q_lora_rank), kl = static_cast<double>(m.kv_lora_rank), qk = nope + rope;
    e += N * ql + N * H * qk + N * (kl + rope) + N * kl + N * H * (nope + v) + N * H * v  // cq q kv_a ckv kv attn
         + 2 * n_seq * H * T * qk + 2 * n_seq * H * T * v;                                 // qh kh, vh oh
  }
  return f4 * e;
}

// moe_forward / gpt_oss_moe_forward on N tokens (kernels.cpp, gpt_oss_moe.cpp).
double moe_bytes(MoESpec const& m, double N, double D, bool device_build) {
  double const E = static_cast<double>(m.num_experts), K = static_cast<double>(m.top_k),
               Fm = static_cast<double>(m.hidden), G = static_cast<double>(m.n_groups),
               fs = static_cast<double>(m.shared_hidden);
  double b = f4 * N * E + i8 * N * K + f4 * N * K  // scores, chosen, gates
             + 2 * i8 * N * K                        // slot_token, slot_of
             + 2 * f4 * N * K * D                    // x_sorted, y_sorted
             + i8 * 2 * (E + 1);                     // the host counting sort's offsets
  if (device_build) b += 3 * i8 * N * K;             // host copies of chosen, slot_token, slot_of
  if (m.experts == ExpertKind::gpt_oss) {
    b += f4 * N * K * 3 * Fm;  // h [NK, 2Fm], act [NK, Fm]
  } else {
    b += 2 * f4 * N * K * Fm;                          // h1, h3
    if (G > 0) b += N * G;                             // groups kept (uint8)
    if (fs > 0) b += f4 * (2 * N * fs + N * D);        // shared experts: s1, s3, out
  }
  return b;
}

}  // namespace

std::int64_t ForwardMemoryPlan::total() const {
  double t = 0;
  for (auto const& [name, bytes] : terms()) t += static_cast<double>(bytes);
  return saturate(t);
}

std::vector<std::pair<std::string, std::int64_t>> ForwardMemoryPlan::terms() const {
  return {{"activations", activations},       {"logits", logits},           {"gather pool", gather_pool},
          {"vocabulary chunk", head_chunk},   {"MoE buffers", moe_scratch}, {"gather staging", gather_staging},
          {"token ids", token_ids},           {"logits dump", dump}};
}

ForwardMemoryPlan plan_forward_memory(DecoderSpec const& spec, std::int64_t batch, std::int64_t seq_len, int world,
                                      int rank, bool dump_logits, bool device_build) {
  ForwardMemoryPlan p;
  std::int64_t const D = spec.dim, V = spec.vocab_size;
  p.chunk_rows = std::max<std::int64_t>(1, std::min<std::int64_t>(V, (std::int64_t(16) << 20) / std::max<std::int64_t>(D, 1)));
  double pool = static_cast<double>(D), largest_weight = static_cast<double>(D);
  for (auto const& l : spec.layers) {
    double n = 0;
    for (auto const& w : forward_layer_weights(spec, l)) {
      n += numel_d(w.second);
      largest_weight = std::max(largest_weight, numel_d(w.second));
    }
    pool = std::max(pool, n);
  }
  double const chunk = static_cast<double>(p.chunk_rows) * static_cast<double>(D);
  p.pool_elems = saturate(pool);
  p.gather_elems = saturate(std::max(largest_weight, chunk));

  auto const seq = chunk_range(batch, world, rank);
  p.n_seq = seq[1];
  double const n_seq = static_cast<double>(seq[1]), T = static_cast<double>(seq_len), N = n_seq * T;
  double const Dd = static_cast<double>(D), Vd = static_cast<double>(V), B = static_cast<double>(batch);
  p.tokens = saturate(N);

  p.gather_pool = saturate(f4 * pool);
  p.head_chunk = saturate(f4 * (chunk + N * static_cast<double>(p.chunk_rows)));
  double const block = block_activation_bytes(spec, n_seq, T);
  p.block_activations = saturate(block);
  p.activations = saturate(f4 * N * Dd + block);
  double moe = 0;
  for (auto const& l : spec.layers)
    if (l.ffn == FfnKind::moe && N > 0) moe = std::max(moe, moe_bytes(l.moe, N, Dd, device_build));
  p.moe_scratch = saturate(moe);
  p.logits = saturate(f4 * N * Vd);
  p.token_ids = saturate(i8 * B * T + i8 * N);
  // ParamGather::rows: its part (at most the whole gather) and everyone's;
  // on a device build also the unpacked rows on the host and a host copy of
  // a whole local shard (at most the largest tensor, the embedding among them).
  double staging = 2 * f4 * static_cast<double>(p.gather_elems);
  if (device_build) staging += f4 * static_cast<double>(p.gather_elems) + f4 * std::max(largest_weight, Vd * Dd);
  p.gather_staging = saturate(staging);
  if (dump_logits) {
    double d = device_build ? f4 * N * Vd : 0;  // the host copy each rank sends from
    if (rank == 0) d += 2 * f4 * B * T * Vd + 2 * i8 * B * T + 4096;  // gathered logits, the file's bytes
    p.dump = saturate(d);
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

std::int64_t largest_forward_batch(DecoderSpec const& spec, std::int64_t batch, std::int64_t seq_len, int world,
                                   bool dump_logits, bool device_build, double room) {
  auto fits = [&](std::int64_t b) {
    return static_cast<double>(plan_forward_memory(spec, b, seq_len, world, 0, dump_logits, device_build).total()) <= room;
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
