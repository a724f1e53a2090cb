#include "deck_check.hpp"

#include "titan/app/cli.hpp"
#include "titan/app/fault_injection.hpp"
#include "titan/app/memory_guard.hpp"
#include "titan/app/memory_plan.hpp"
#include "titan/config/deck.hpp"
#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"
#include "titan/models/registry.hpp"
#include "titan/modules/module.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace titan {
namespace {

// A build's cost grows with the layer count; bigger models are only read.
constexpr std::int64_t max_built_layers = 64;

}  // namespace

namespace {

void check_deck(std::string const& text, int world, std::vector<std::string> const& sets) {
  Deck deck = read_deck_text(text, "fuzz.toml", sets, deck_families());
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
  MemoryVerdict const v = judge_memory(node, {plan.model_params, deck.run.dtype, world, plan.buffer_bytes});
  if (v.fits != v.message.empty()) throw FuzzFinding("memory verdict and message disagree: '" + v.message + "'");
}

// A message must stay one readable line of bounded length: values are echoed
// shortened and escaped (a "\n  " list of items is allowed, up to a few).
void check_message(std::string const& message) {
  if (message.size() > 4000) throw FuzzFinding("a message of " + std::to_string(message.size()) + " bytes");
  if (message.find('\0') != std::string::npos) throw FuzzFinding("a message with a NUL: " + message.substr(0, 200));
  if (std::count(message.begin(), message.end(), '\n') > 8)
    throw FuzzFinding("a message of more than 9 lines: " + message.substr(0, 400));
  // As printed (collective() cleans it): a new line only for a listed item
  // ("\n  ..."), so no value can forge a line of output (issue 19).
  std::string const shown = clean_message(message);
  for (std::size_t at = shown.find('\n'); at != std::string::npos; at = shown.find('\n', at + 1))
    if (shown.compare(at + 1, 2, "  ") != 0) throw FuzzFinding("a printed message starts a line: " + shown.substr(0, 400));
}

}  // namespace

void check_deck_text(std::string const& text, int world) {
  try {
    check_deck(text, world, {});
  } catch (InputError const& e) {
    check_message(e.what());
    throw;
  }
}

void check_command_line_and_deck(std::string const& input, int world) {
  std::string const sep = command_line_separator;
  std::size_t const at = input.find(sep);
  std::vector<std::string> args;
  std::string deck_text = input;
  if (at != std::string::npos) {
    std::string const head = input.substr(0, at);
    deck_text = input.substr(at + sep.size());
    for (std::size_t start = 0; start < head.size() && args.size() < 63;) {
      std::size_t nl = head.find('\n', start);
      if (nl == std::string::npos) nl = head.size();
      args.push_back(head.substr(start, nl - start));
      start = nl + 1;
    }
  }
  check_arguments_and_deck(args, deck_text, world);
}

void check_arguments_and_deck(std::vector<std::string> const& arguments, std::string const& deck_text, int world) {
  std::vector<std::string> args{"titan_app"};
  for (auto const& a : arguments) args.push_back(a.substr(0, a.find('\0')));  // argv strings end at a NUL
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(&a[0]);
  argv.push_back(nullptr);
  try {
    Options const opt = parse_command_line(static_cast<int>(args.size()), argv.data());
    if (opt.help || opt.version) return;
    int const ranks = opt.dry_run && opt.plan_ranks > 0 ? std::min(opt.plan_ranks, 1 << 12) : world;
    check_deck(deck_text, ranks, opt.sets);
  } catch (InputError const& e) {
    check_message(e.what());
    throw;
  }
}

}  // namespace titan
