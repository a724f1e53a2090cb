#include "titan/app/run_memory.hpp"

#include "titan/core/human_bytes.hpp"
#include "titan/forward/forward_memory.hpp"
#include "titan/modules/module.hpp"
#include "titan/train/train_memory.hpp"

#include <Kokkos_Core.hpp>

namespace titan {

RunMemory plan_run_memory(RankPlan const& model, RunWork const& work, int world, int rank) {
  RunMemory m;
  m.rank = model_only(model.local_bytes);
  auto const* lm = dynamic_cast<LanguageModel const*>(model.model.get());
  if (lm == nullptr) return m;
  std::vector<ParameterPtr> const params = model.model->parameters();
  // A constant: the lambdas below use it without capturing it.
  constexpr bool device =
      !Kokkos::SpaceAccessibility<Kokkos::HostSpace, Kokkos::DefaultExecutionSpace::memory_space>::accessible;
  std::vector<WorkAdvice> advice;
  if (work.forward_tokens != nullptr) {
    std::int64_t const B = work.forward_tokens->batch, T = work.forward_tokens->seq_len;
    bool const dump = work.dump_logits;
    check_forward_batch(B, T, lm->vocab_size(), dump, work.forward_source);
    ForwardMemoryPlan const f = plan_forward_memory(*lm, params, B, T, world, rank, dump, device);
    m.rank.terms.push_back({"forward pass", f.total(), f.terms()});
    std::shared_ptr<Module const> const keep = model.model;
    advice.push_back([keep, lm, params, B, T, world, dump](double room) -> std::string {
      std::int64_t const fits = largest_forward_batch(*lm, params, B, T, world, dump, device, room);
      std::string const now =
          "the forward pass at batch = " + std::to_string(B) + ", seq_len = " + std::to_string(T) + " needs " +
          human_bytes(static_cast<double>(plan_forward_memory(*lm, params, B, T, world, 0, dump, device).total())) +
          " on rank 0";
      if (fits == 0)
        return now + "; not even forward.batch = 1 fits at seq_len = " + std::to_string(T) +
               " (lower forward.seq_len, or use more memory per rank)";
      return now + "; at most forward.batch = " + std::to_string(fits) + " fits at seq_len = " + std::to_string(T) +
             (world == 1 ? std::string(" on this rank") : " on these " + std::to_string(world) + " ranks");
    });
  }
  if (work.train != nullptr) {
    TrainMemoryPlan const t =
        plan_train_memory(*lm, params, *work.train, work.train_batch, work.train_seq_len, world, rank, device);
    m.rank.terms.push_back({"training", t.total(), t.terms()});
    std::shared_ptr<Module const> const keep = model.model;
    TrainSettings const s = *work.train;
    std::int64_t const B = work.train_batch, T = work.train_seq_len;
    advice.push_back([keep, lm, params, s, B, T, world](double room) -> std::string {
      return train_memory_advice(*lm, params, s, B, T, world, device, room);
    });
  }
  if (!advice.empty())
    m.advice = [advice](double room) {
      std::string all;
      for (auto const& a : advice) all += (all.empty() ? "" : "; ") + a(room);
      return all;
    };
  return m;
}

}  // namespace titan
