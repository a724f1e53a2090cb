#include "titan/app/memory_guard.hpp"

#include "titan/core/errors.hpp"
#include "titan/core/human_bytes.hpp"
#include "titan/core/memory_limits.hpp"
#include "titan/parallel/collective.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace titan {
namespace {

constexpr double fixed_margin = 256.0 * 1024 * 1024;
constexpr double margin_fraction = 1.0 / 16;

// Bytes one rank needs for `share` planned bytes (in double: no overflow for
// absurd models).
double with_margin(double share) { return share * (1 + margin_fraction) + fixed_margin; }

std::int64_t clamp_to_int64(double v) {
  double const top = static_cast<double>(std::numeric_limits<std::int64_t>::max());
  return v >= top ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(v);
}

// The fewest ranks, `per_node` to a node like this one, on which the model at
// `dtype` fits: each rank holds 1/N of the parameters (at `dtype`) plus its
// own whole copy of the replicated buffers. 0 when no rank count is enough.
double ranks_needed(ModelMemory const& m, DType dtype, NodeMemory const& node) {
  double const per_rank_room = static_cast<double>(node.available_bytes) / node.ranks;
  if (per_rank_room <= fixed_margin) return 0;
  double const model_bytes = static_cast<double>(m.params) * static_cast<double>(dtype_size(dtype));
  double const share = (per_rank_room - fixed_margin) / (1 + margin_fraction);
  double const for_params = share - static_cast<double>(m.replicated_bytes);
  if (for_params <= 0) return 0;
  return std::max(1.0, std::ceil(model_bytes / for_params));
}

// True when the replicated buffers alone leave a rank no room: then no rank
// count and no dtype helps.
bool buffers_too_large(ModelMemory const& m, NodeMemory const& node) {
  double const per_rank_room = static_cast<double>(node.available_bytes) / node.ranks;
  double const share = (per_rank_room - fixed_margin) / (1 + margin_fraction);
  return per_rank_room > fixed_margin && m.replicated_bytes > 0 && share <= static_cast<double>(m.replicated_bytes);
}

std::string advice(ModelMemory const& m, DType dtype, NodeMemory const& node) {
  double const n = ranks_needed(m, dtype, node);
  if (n == 0 && buffers_too_large(m, node))
    return "no rank count is enough: every rank holds its own copy of the buffers (" +
           human_bytes(static_cast<double>(m.replicated_bytes)) +
           ", freqs_cis, float32), which sharding does not divide, and with " + std::to_string(node.ranks) +
           (node.ranks == 1 ? " rank" : " ranks") + " per node they alone exceed a rank's share of this node (lower max_seq_len)";
  if (n == 0)
    return "no rank count is enough with " + std::to_string(node.ranks) + (node.ranks == 1 ? " rank" : " ranks") +
           " per node";
  if (n <= m.world_size) return m.world_size == 1 ? "it fits on this rank" : "it fits on these " + std::to_string(m.world_size) + " ranks";
  char text[160];
  std::snprintf(text, sizeof text, "it needs about %.0f ranks with %d per node (%.0f nodes like this one)", n,
                node.ranks, std::ceil(n / node.ranks));
  return text;
}

// "parameters and buffers 10.50 MiB, forward pass 16.00 GiB (activations
// 12.00 GiB, logits 2.00 GiB, ...)": the node's terms and their nonzero parts.
std::string describe_terms(std::vector<MemoryTerm> const& terms) {
  std::string out;
  for (auto const& t : terms) {
    out += (out.empty() ? "" : ", ") + t.name + " " + human_bytes(static_cast<double>(t.bytes));
    std::string parts;
    for (auto const& [name, bytes] : t.parts)
      if (bytes > 0) parts += (parts.empty() ? "" : ", ") + name + " " + human_bytes(static_cast<double>(bytes));
    if (!parts.empty()) out += " (" + parts + ")";
  }
  return out;
}

}  // namespace

std::int64_t RankMemory::total() const {
  double t = 0;
  for (auto const& m : terms) t += static_cast<double>(m.bytes);
  return clamp_to_int64(t);
}

std::int64_t RankMemory::work() const {
  double t = 0;
  for (std::size_t i = 1; i < terms.size(); ++i) t += static_cast<double>(terms[i].bytes);
  return clamp_to_int64(t);
}

RankMemory model_only(std::int64_t planned_rank_bytes) {
  return RankMemory{{MemoryTerm{"parameters and buffers", planned_rank_bytes, {}}}};
}

std::int64_t margin_bytes(std::int64_t planned_rank_bytes) {
  return clamp_to_int64(with_margin(static_cast<double>(planned_rank_bytes)) -
                        static_cast<double>(planned_rank_bytes));
}

MemoryVerdict judge_memory(NodeMemory const& node, ModelMemory const& model, WorkAdvice const& work_advice) {
  MemoryVerdict v;
  double const planned = static_cast<double>(node.planned_bytes);
  double const needed = planned * (1 + margin_fraction) + fixed_margin * node.ranks;
  v.needed_bytes = clamp_to_int64(needed);
  if (node.available_bytes < 0 || needed <= static_cast<double>(node.available_bytes)) return v;
  v.fits = false;
  std::string const here = std::to_string(node.ranks) + (node.ranks == 1 ? " rank" : " ranks");
  std::string const terms = node.work_bytes > 0 && !node.terms.empty() ? ": " + describe_terms(node.terms) : "";
  v.message = "not enough memory: the " + here + " on node " + node.name + (node.ranks == 1 ? " needs " : " need ") + human_bytes(needed) + " (" +
              human_bytes(planned) + " planned at " + dtype_name(model.dtype) + terms + ", plus " +
              human_bytes(needed - planned) + " margin) but " + human_bytes(static_cast<double>(node.available_bytes)) +
              " is available (" + node.available_source + ")";
  // The model alone fits: the phases' work is what does not; say what of it would.
  double const budget = (static_cast<double>(node.available_bytes) - fixed_margin * node.ranks) / (1 + margin_fraction);
  double const model_part = planned - static_cast<double>(node.work_bytes);
  if (node.work_bytes > 0 && model_part <= budget) {
    double const room_per_rank = (budget - model_part) / node.ranks;
    std::string const hint = work_advice ? work_advice(room_per_rank) : std::string();
    v.message += "; the model fits, its work does not" + (hint.empty() ? std::string() : ": " + hint);
    return v;
  }
  v.message += "; at " + std::string(dtype_name(model.dtype)) + " " + advice(model, model.dtype, node);
  if (node.work_bytes > 0) {
    std::string names;
    for (std::size_t i = 1; i < node.terms.size(); ++i) names += (i > 1 ? ", " : "") + node.terms[i].name;
    v.message += " (for the model alone: the " + names + " comes on top)";
  }
  if (model.dtype != DType::bfloat16) {
    if (buffers_too_large(model, node))  // bfloat16 halves only the parameters
      v.message += "; bfloat16 would not help (it halves only the parameters, not the buffers)";
    else
      v.message += "; in bfloat16 (--set run.dtype=bfloat16) " + advice(model, DType::bfloat16, node);
  }
  return v;
}

void guard_memory(MPI_Comm world, RankMemory const& planned, ModelMemory const& model, GuardOptions const& options) {
  int world_rank = 0;
  TITAN_MPI_CHECK(MPI_Comm_rank(world, &world_rank));
  MPI_Comm node_comm = MPI_COMM_NULL;
  TITAN_MPI_CHECK(MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, world_rank, MPI_INFO_NULL, &node_comm));
  int node_rank = 0;
  NodeMemory node;
  TITAN_MPI_CHECK(MPI_Comm_rank(node_comm, &node_rank));
  TITAN_MPI_CHECK(MPI_Comm_size(node_comm, &node.ranks));
  char host[MPI_MAX_PROCESSOR_NAME] = {};
  int host_len = 0;
  TITAN_MPI_CHECK(MPI_Get_processor_name(host, &host_len));
  node.name.assign(host, static_cast<std::size_t>(host_len));
  MemoryRoom room = available_memory();
  if (options.device_id >= 0) {  // the ranks of this node on the same device, against its free memory
    MPI_Comm device_comm = MPI_COMM_NULL;
    TITAN_MPI_CHECK(MPI_Comm_split(node_comm, options.device_id, node_rank, &device_comm));
    TITAN_MPI_CHECK(MPI_Comm_free(&node_comm));
    node_comm = device_comm;
    TITAN_MPI_CHECK(MPI_Comm_rank(node_comm, &node_rank));
    TITAN_MPI_CHECK(MPI_Comm_size(node_comm, &node.ranks));
    node.name += " device " + std::to_string(options.device_id);
    room = options.device_room;
  }
  if (options.pretend_available > 0) room = MemoryRoom{options.pretend_available, "[debug] memory_available"};
  std::int64_t const unknown = std::numeric_limits<std::int64_t>::max();
  std::int64_t mine = room.bytes < 0 ? unknown : room.bytes;
  TITAN_MPI_CHECK(MPI_Allreduce(&mine, &node.available_bytes, 1, MPI_INT64_T, MPI_MIN, node_comm));
  if (node.available_bytes == unknown) node.available_bytes = -1;
  node.available_source = room.source;
  // Term by term (and part by part) over the node: the same structure on
  // every rank, by construction of the caller's RankMemory.
  std::vector<std::int64_t> bytes;
  for (auto const& t : planned.terms) {
    bytes.push_back(t.bytes);
    for (auto const& part : t.parts) bytes.push_back(part.second);
  }
  long long shape[2] = {static_cast<long long>(bytes.size()), -static_cast<long long>(bytes.size())};
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, shape, 2, MPI_LONG_LONG, MPI_MAX, node_comm));
  collective(world, [&] {
    if (shape[0] != -shape[1]) throw RunError("internal: the ranks plan memory in different terms");
  });
  // Sums in double (no overflow for absurd plans), saturated.
  std::vector<double> sums(bytes.begin(), bytes.end());
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, sums.data(), static_cast<int>(sums.size()), MPI_DOUBLE, MPI_SUM, node_comm));
  TITAN_MPI_CHECK(MPI_Comm_free(&node_comm));
  std::size_t at = 0;
  double total = 0, work = 0;
  for (std::size_t i = 0; i < planned.terms.size(); ++i) {
    MemoryTerm t = planned.terms[i];
    t.bytes = clamp_to_int64(sums[at++]);
    for (auto& part : t.parts) part.second = clamp_to_int64(sums[at++]);
    total += static_cast<double>(t.bytes);
    if (i > 0) work += static_cast<double>(t.bytes);
    node.terms.push_back(std::move(t));
  }
  node.planned_bytes = clamp_to_int64(total);
  node.work_bytes = clamp_to_int64(work);

  MemoryVerdict const verdict = judge_memory(node, model, options.work_advice);
  if (!verdict.fits && options.force && node_rank == 0) {
    std::fprintf(stderr, "titan_app: warning: --force given, running anyway: %s\n", verdict.message.c_str());
    std::fflush(stderr);
  }
  collective(world, [&] {
    if (!verdict.fits && !options.force) throw InputError(verdict.message + "; --force runs anyway");
  });
}

}  // namespace titan
