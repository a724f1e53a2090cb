#include "titan/app/train_plan.hpp"

#include "titan/app/memory_guard.hpp"
#include "titan/app/memory_plan.hpp"
#include "titan/app/plan.hpp"
#include "titan/core/device.hpp"
#include "titan/core/errors.hpp"
#include "titan/core/human_bytes.hpp"
#include "titan/forward/forward_memory.hpp"
#include "titan/modules/language_model.hpp"
#include "titan/modules/module.hpp"
#include "titan/modules/tensor_parallel_plan.hpp"
#include "titan/parallel/collective.hpp"
#include "titan/parallel/placement.hpp"
#include "titan/train/comm_model.hpp"
#include "titan/train/load_balance.hpp"
#include "titan/train/train_memory.hpp"

#include <Kokkos_Core.hpp>

#include <map>

namespace titan {
namespace {

bool is_device_build() {
  return !Kokkos::SpaceAccessibility<Kokkos::HostSpace, Kokkos::DefaultExecutionSpace::memory_space>::accessible;
}

LanguageModel const& language_model_of(Module const& m) {
  auto const* lm = dynamic_cast<LanguageModel const*>(&m);
  require_internal(lm != nullptr, "the training plan needs a language model");
  return *lm;
}

// The terms of a plan that do not grow with the rank's parameters (they
// depend on the rank through its sequences only).
double work_beside_parameters(TrainMemoryPlan const& t) {
  return static_cast<double>(t.total()) - static_cast<double>(t.gradients) - static_cast<double>(t.optimizer_states) -
         static_cast<double>(t.masters);
}

// Bytes one rank needs for `planned` bytes: the memory guard's rule (margin_bytes).
double with_guard_margin(double planned) {
  std::int64_t const p = saturate_bytes(planned);
  return static_cast<double>(p) + static_cast<double>(margin_bytes(p));
}

// The fewest ranks world * 2^k on which the largest rank's plan would fit,
// as an estimate: the parameters and what scales with them (gradients,
// optimizer states, masters) divided over the ranks, the buffers replicated,
// the activations for the sequences rank 0 gets of the batch. 0: none up to
// the largest --ranks.
std::int64_t ranks_that_fit(LanguageModel const& lm, std::vector<ParameterPtr> const& params, TrainPlanInput const& in,
                            double per_parameter_bytes, double buffer_bytes, double room, bool device) {
  int const world = in.build.mesh.world_size();
  for (std::int64_t more = 2 * static_cast<std::int64_t>(world); more <= (std::int64_t(1) << 24); more *= 2) {
    TrainMemoryPlan const t =
        plan_train_memory(lm, params, in.settings, in.batch, in.seq_len, static_cast<int>(more), 0, device);
    double const planned = per_parameter_bytes * world / static_cast<double>(more) + buffer_bytes + work_beside_parameters(t);
    if (with_guard_margin(planned) <= room) return more;
  }
  return 0;
}

}  // namespace

MemoryRoom planned_rank_memory(MPI_Comm comm, std::int64_t given, std::int64_t pretend_available, int device_id) {
  if (given > 0) return MemoryRoom{given, "--memory-per-rank"};
  int rank = 0, node_ranks = 1;
  TITAN_MPI_CHECK(MPI_Comm_rank(comm, &rank));
  MPI_Comm node = MPI_COMM_NULL, sharing = MPI_COMM_NULL;
  TITAN_MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node));
  // The ranks that share this memory: the node's, or on a device build those on this device (as the guard groups them).
  TITAN_MPI_CHECK(MPI_Comm_split(node, device_id >= 0 ? device_id : 0, rank, &sharing));
  TITAN_MPI_CHECK(MPI_Comm_size(sharing, &node_ranks));
  TITAN_MPI_CHECK(MPI_Comm_free(&sharing));
  TITAN_MPI_CHECK(MPI_Comm_free(&node));
  MemoryRoom room = pretend_available > 0 ? MemoryRoom{pretend_available, "[debug] memory_available"}
                    : device_id >= 0      ? device_free_memory()
                                          : available_memory();
  std::int64_t mine = room.bytes, least = 0;  // the smallest reading of the launch, as the guard takes a node's
  TITAN_MPI_CHECK(MPI_Allreduce(&mine, &least, 1, MPI_INT64_T, MPI_MIN, comm));
  if (least < 0) return MemoryRoom{-1, "unknown"};
  room.bytes = least / node_ranks;
  room.source += std::string(device_id >= 0 ? " of this device" : " of this node") + " over " +
                 std::to_string(node_ranks) + (node_ranks == 1 ? " rank" : " ranks") +
                 " of this launch on it (--memory-per-rank for another machine)";
  return room;
}

int largest_train_rank(TrainPlanInput const& in) {
  // The dry run's model (rank 0's boxes) answers what does not depend on a
  // rank's own boxes: the work beside the parameters, by the rank's sequence
  // count (chunk_range gives at most two counts); plan_layout the
  // parameters (and the bfloat16 ones, which have masters) of every rank.
  LanguageModel const& lm = language_model_of(*in.model);
  std::vector<ParameterPtr> const params = in.model->parameters();
  Mesh const& mesh = in.build.mesh;
  int const world = mesh.world_size();
  std::vector<ParameterPtr> half;
  for (auto const& p : params)
    if (p->dtype() == DType::bfloat16) half.push_back(p);
  LayoutPlan const all = plan_layout(params, mesh);
  LayoutPlan const masters = half.empty() ? LayoutPlan{} : plan_layout(half, mesh);
  bool const device = is_device_build();
  std::map<std::int64_t, double> beside;
  int best = 0;
  double best_bytes = -1;
  for (int r = 0; r < world; ++r) {
    std::int64_t const seqs = chunk_range(in.batch, mesh.data_parallel_size(), mesh.data_parallel_rank(r))[1];
    auto found = beside.find(seqs);
    if (found == beside.end()) {
      TrainMemoryPlan const t = plan_train_memory(lm, params, in.settings, in.batch, in.seq_len, world, r, device);
      found = beside.emplace(seqs, work_beside_parameters(t)).first;
    }
    auto const u = static_cast<std::size_t>(r);
    // Parameters at their dtype, float32 gradients and two moments (12
    // bytes an element), float32 masters of the bfloat16 ones (4).
    double const bytes = static_cast<double>(all.bytes_per_rank[u]) + 12.0 * static_cast<double>(all.params_per_rank[u]) +
                         (half.empty() ? 0.0 : 4.0 * static_cast<double>(masters.params_per_rank[u])) + found->second;
    if (bytes > best_bytes) {
      best_bytes = bytes;
      best = r;
    }
  }
  return best;
}

TrainPlanReport plan_training(TrainPlanInput const& in) {
  int const world = in.build.mesh.world_size();
  int const rank = largest_train_rank(in);
  BuildContext ctx = in.build;
  ctx.rank = rank;
  RankPlan const plan = plan_rank_memory(*in.config, ctx);  // that rank's boxes, nothing allocated
  LanguageModel const& lm = language_model_of(*plan.model);
  std::vector<ParameterPtr> const params = plan.model->parameters();
  bool const device = is_device_build();
  TrainMemoryPlan const t = plan_train_memory(lm, params, in.settings, in.batch, in.seq_len, world, rank, device);

  TrainPlanReport r;
  r.rank = rank;
  r.ranks = world;
  r.batch = in.batch;
  r.seq_len = in.seq_len;
  r.activation_checkpointing = activation_checkpointing_name(in.settings.activation_checkpointing);
  std::int64_t const param_bytes = plan.local_bytes - plan.buffer_bytes;
  r.terms = {{"parameters", param_bytes},
             {"buffers", plan.buffer_bytes},
             {"gradients", t.gradients},
             {"optimizer_states", t.optimizer_states},
             {"masters", t.masters},
             {"activations", t.activations},
             {"gathered_blocks", t.gather},
             {"gather_staging", t.gather_staging},
             {"logits", t.logits},
             {"token_ids", t.token_ids},
             {"runtime", in.runtime_bytes}};
  double peak = 0;
  for (auto const& [name, bytes] : r.terms) peak += static_cast<double>(bytes);
  r.peak_bytes = saturate_bytes(peak);
  // Every FLOP term is proportional to the sequences: all ranks together compute the whole batch's.
  r.flops_per_step = lm.train_step_flops(in.batch, in.seq_len,
                                         in.settings.activation_checkpointing == ActivationCheckpointing::full);
  // The bytes this rank sends per step by collective kind (the analytic
  // model a real run's train.comm.<kind>.model_bytes reports; this rank's,
  // not the maximum over the ranks, which would cost O(world x parameters)).
  Mesh const& mesh = in.build.mesh;
  std::int64_t const rows = chunk_range(in.batch, mesh.data_parallel_size(), mesh.data_parallel_rank(rank))[1] * in.seq_len;
  bool const recompute = in.settings.activation_checkpointing == ActivationCheckpointing::full;
  StepCommBytes c = model_step_comm(lm, plan_tensor_parallel(*plan.model, mesh), mesh, mesh.coords(rank), true, rows,
                                    recompute);
  {  // the MoE's token dispatch for balanced routing (a real run's depends on its routing)
    std::vector<std::int64_t> widths;
    double routed_rows = 0;
    for (MoE const* m : moe_layers(*plan.model))
      if (m->expert_parallel()) {
        widths.push_back(m->dim());
        routed_rows = static_cast<double>(rows * m->top_k());
      }
    c.all_to_all = balanced_all_to_all_bytes(widths, routed_rows, mesh.size(ep), recompute ? 3 : 2);
  }
  r.comm_bytes_per_step = {{"all_gather", c.all_gather}, {"reduce_scatter", c.reduce_scatter},
                           {"all_reduce", c.all_reduce}, {"all_to_all", c.all_to_all}};
  // As the memory guard judges a real run: the plan without the runtime
  // (the guard's margin stands for it) plus the margin.
  double const planned = peak - static_cast<double>(in.runtime_bytes);
  r.needed_bytes = saturate_bytes(with_guard_margin(planned));
  r.memory_per_rank = in.memory_per_rank.bytes;
  r.memory_source = in.memory_per_rank.source;
  if (r.memory_per_rank < 0) return r;
  double const room = static_cast<double>(r.memory_per_rank);
  r.fits = with_guard_margin(planned) <= room;
  if (*r.fits) return r;

  // What would fit. The work (everything but the model's own bytes) gets
  // what the model leaves of the guard's budget, as in the guard's advice.
  double const budget = (room - static_cast<double>(margin_bytes(0))) * 16.0 / 17.0;
  double const work_room = budget - static_cast<double>(plan.local_bytes);
  std::string advice;
  if (work_room > 0)
    advice = train_memory_advice(lm, params, in.settings, in.batch, in.seq_len, world, device, work_room, rank, false);
  else
    advice = "the model's own bytes on rank " + std::to_string(rank) + " (" +
             human_bytes(static_cast<double>(plan.local_bytes)) + ") leave no room for training";
  double const per_parameter = static_cast<double>(param_bytes) + static_cast<double>(t.gradients) +
                               static_cast<double>(t.optimizer_states) + static_cast<double>(t.masters);
  std::int64_t const more =
      ranks_that_fit(lm, params, in, per_parameter, static_cast<double>(plan.buffer_bytes), room, device);
  advice += more > 0 ? "; at this batch and seq_len, about " + std::to_string(more) +
                           " ranks would fit (the parameters, gradients, optimizer states and masters divided over "
                           "them, the batch split over them)"
                     : "; no rank count up to 16777216 fits this batch and seq_len (a rank computes at least one whole "
                       "sequence and gathers every block whole: the activations of one sequence, the gathered-block "
                       "scratch and the staging do not shrink with more ranks)";
  r.advice = advice;
  return r;
}

}  // namespace titan
