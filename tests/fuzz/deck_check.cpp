#include "deck_check.hpp"

#include "titan/app/fault_injection.hpp"
#include "titan/app/memory_guard.hpp"
#include "titan/app/memory_plan.hpp"
#include "titan/config/deck.hpp"
#include "titan/models/llama3/llama3_family.hpp"
#include "titan/models/registry.hpp"

#include <cstdint>

namespace titan {
namespace {

// A build's cost grows with the layer count; bigger models are only read.
constexpr std::int64_t max_built_layers = 64;

}  // namespace

void check_deck_text(std::string const& text, int world) {
  Deck deck = read_deck_text(text, "fuzz.toml", {}, deck_families());
  std::string const resolved = resolved_deck_toml(deck);
  Deck const again = read_deck_text(resolved, "fuzz.toml", {}, deck_families());
  if (resolved_deck_toml(again) != resolved)
    throw FuzzFinding("the resolved deck does not read back to itself:\n" + resolved);

  check_fault_injection(deck.debug, world, false);
  Mesh const mesh = Mesh::resolve(deck.mesh, world);
  std::unique_ptr<ModelConfig> const config = find_family(deck.family).model_config(*deck.model, mesh);
  if (deck.model->num_layers() > max_built_layers) return;

  BuildContext ctx;
  ctx.mesh = mesh;
  ctx.rank = world - 1;
  ctx.dtype = deck.run.dtype;
  ctx.allocate = false;
  ctx.overrides = &deck.overrides;
  RankPlan const plan = plan_rank_memory(*config, ctx);
  std::unique_ptr<Module> const model = config->build_model(ctx);  // as the real build, which counts the matches
  deck.overrides.expect_all_matched();

  NodeMemory node;
  node.name = "fuzz";
  node.ranks = world;
  node.planned_bytes = plan.local_bytes * world;
  node.available_bytes = deck.debug.memory_available > 0 ? deck.debug.memory_available : -1;
  node.available_source = "fuzz";
  MemoryVerdict const v = judge_memory(node, {plan.model_params, deck.run.dtype, world});
  if (v.fits != v.message.empty()) throw FuzzFinding("memory verdict and message disagree: '" + v.message + "'");
}

}  // namespace titan
