#include "titan/app/run_memory.hpp"

#include "titan/core/human_bytes.hpp"
#include "titan/forward/forward_memory.hpp"

#include <Kokkos_Core.hpp>

namespace titan {

RunMemory plan_run_memory(RankPlan const& model, DecoderSpec const* forward_spec, ForwardTokens const* tokens,
                          std::string const& tokens_source, bool dump_logits, int world, int rank) {
  RunMemory m;
  m.rank = model_only(model.local_bytes);
  if (forward_spec == nullptr || tokens == nullptr) return m;
  DecoderSpec const spec = *forward_spec;
  std::int64_t const B = tokens->batch, T = tokens->seq_len;
  check_forward_batch(B, T, spec.vocab_size, dump_logits, tokens_source);
  constexpr bool device =
      !Kokkos::SpaceAccessibility<Kokkos::HostSpace, Kokkos::DefaultExecutionSpace::memory_space>::accessible;
  ForwardMemoryPlan const f = plan_forward_memory(spec, B, T, world, rank, dump_logits, device);
  m.rank.terms.push_back({"forward pass", f.total(), f.terms()});
  m.advice = [spec, B, T, world, dump_logits](double room) -> std::string {
    std::int64_t const fits = largest_forward_batch(spec, B, T, world, dump_logits, device, room);
    std::string const now = "the forward pass at batch = " + std::to_string(B) + ", seq_len = " + std::to_string(T) +
                            " needs " +
                            human_bytes(static_cast<double>(
                                plan_forward_memory(spec, B, T, world, 0, dump_logits, device).total())) +
                            " on rank 0";
    if (fits == 0)
      return now + "; not even forward.batch = 1 fits at seq_len = " + std::to_string(T) +
             " (lower forward.seq_len, or use more memory per rank)";
    return now + "; at most forward.batch = " + std::to_string(fits) + " fits at seq_len = " + std::to_string(T) +
           (world == 1 ? std::string(" on this rank") : " on these " + std::to_string(world) + " ranks");
  };
  return m;
}

}  // namespace titan
