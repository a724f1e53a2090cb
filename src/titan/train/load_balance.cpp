#include "titan/train/load_balance.hpp"

#include "titan/parallel/collective.hpp"

#include <climits>

namespace titan {

namespace {
void collect(Module& m, std::vector<MoE*>& out) {
  if (auto* moe = dynamic_cast<MoE*>(&m)) out.push_back(moe);
  for (Module* child : m.child_modules()) collect(*child, out);
}
void collect(Module const& m, std::vector<MoE const*>& out) {
  if (auto const* moe = dynamic_cast<MoE const*>(&m)) out.push_back(moe);
  for (auto const& child : m.children()) collect(*child.second, out);
}
}  // namespace

std::vector<MoE const*> moe_layers(Module const& model) {
  std::vector<MoE const*> out;
  collect(model, out);
  return out;
}

std::vector<MoE*> moe_layers(Module& model) {
  std::vector<MoE*> out;
  collect(model, out);
  return out;
}

std::vector<std::vector<float>> update_expert_biases(std::vector<MoE*> const& layers, MPI_Comm comm) {
  // One reduction for every layer's counts (as torchtitan's vstack + all_reduce).
  std::vector<float> counts;
  for (MoE* m : layers) {
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), m->tokens_per_expert()->data());
    counts.insert(counts.end(), h.data(), h.data() + h.extent(0));
  }
  if (!counts.empty())
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, counts.data(), static_cast<int>(counts.size()), MPI_FLOAT, MPI_SUM, comm));
  std::vector<std::vector<float>> out;
  std::size_t at = 0;
  for (MoE* m : layers) {
    std::size_t const E = static_cast<std::size_t>(m->num_experts());
    std::vector<float> const tokens(counts.begin() + static_cast<std::ptrdiff_t>(at),
                                    counts.begin() + static_cast<std::ptrdiff_t>(at + E));
    at += E;
    out.push_back(tokens);
    Kokkos::deep_copy(m->tokens_per_expert()->data(), 0.0f);
    if (!m->load_balance_coeff() || !m->expert_bias()) continue;
    // In float32, as torch computes it on the float32 buffers.
    float const coeff = static_cast<float>(*m->load_balance_coeff());
    float mean = 0;
    for (float t : tokens) mean += t;
    mean /= static_cast<float>(E);
    std::vector<float> delta(E);
    float delta_mean = 0;
    for (std::size_t e = 0; e < E; ++e) {
      float const d = mean - tokens[e];
      delta[e] = coeff * static_cast<float>((d > 0) - (d < 0));
      delta_mean += delta[e];
    }
    delta_mean /= static_cast<float>(E);
    auto bias = Kokkos::create_mirror_view_and_copy(HostSpace(), m->expert_bias()->data());
    for (std::size_t e = 0; e < E; ++e) bias(e) += delta[e] - delta_mean;
    Kokkos::deep_copy(m->expert_bias()->data(), bias);
  }
  return out;
}

}  // namespace titan
