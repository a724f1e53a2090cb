#include "titan/app/checkpoint_plan.hpp"

#include "titan/core/errors.hpp"
#include "titan/models/registry.hpp"

namespace titan {

namespace {

CheckpointNames side(std::string const& cli_side, std::string const& cli_both, std::string const& deck_side,
                     std::string const& deck_both) {
  std::string const s = !cli_side.empty() ? cli_side : !cli_both.empty() ? cli_both : !deck_side.empty() ? deck_side : deck_both;
  CheckpointNames n = CheckpointNames::titan;
  parse_checkpoint_names(s, n);  // the command line and the deck accept titan|hf only
  return n;
}

}  // namespace

CheckpointPlan checkpoint_plan(Options const& opt, Deck const& deck) {
  CheckpointPlan c;
  c.deck = deck.checkpoint;
  c.save = opt.save_dir.empty() ? deck.checkpoint.save : opt.save_dir;
  c.load = opt.load_dir.empty() ? deck.checkpoint.load : opt.load_dir;
  c.overwrite = opt.overwrite;
  c.convert = opt.load_convert_dtype;
  c.load_names = side(opt.load_names, opt.checkpoint_names, deck.checkpoint.load_names, deck.checkpoint.names);
  c.save_names = side(opt.save_names, opt.checkpoint_names, deck.checkpoint.save_names, deck.checkpoint.names);
  require(!opt.dry_run || (c.save.empty() && c.load.empty()),
          "--save and --load need a real run; --dry-run allocates nothing to save or load");
  require(!c.overwrite || !c.save.empty(), "--overwrite replaces the --save directory; no --save given");
  require(!c.convert || !c.load.empty(), "--load-convert-dtype converts what --load reads; no --load given");
  bool const hf = (!c.load.empty() && c.load_names == CheckpointNames::hf) ||
                  (!c.save.empty() && c.save_names == CheckpointNames::hf);
  if (hf) {
    Family const& f = find_family(deck.family);
    require(f.hf_adapter != nullptr,
            "Hugging Face names: family '" + deck.family + "' has no Hugging Face name mapping; use titan names");
    c.adapter = f.hf_adapter(*deck.model);
  }
  return c;
}

}  // namespace titan
