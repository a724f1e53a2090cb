#include "titan/forward/forward_deck.hpp"

#include "titan/core/errors.hpp"

namespace titan {

void read_forward_settings(TableReader& t, ForwardSettings& s) {
  if (auto v = t.get_bool("enabled")) s.enabled = *v;
  if (auto v = t.get_int("batch")) {
    require(*v >= 1 && *v <= max_forward_batch,
            t.where("batch") + " batch = " + std::to_string(*v) + " must be between 1 and " + std::to_string(max_forward_batch));
    s.batch = *v;
  }
  if (auto v = t.get_int("seq_len")) {
    require(*v >= 2 && *v <= max_forward_seq_len, t.where("seq_len") + " seq_len = " + std::to_string(*v) +
                                                      " must be between 2 and " + std::to_string(max_forward_seq_len) +
                                                      " (the loss needs two tokens)");
    s.seq_len = *v;
  }
  if (auto v = t.get_int("tokens_seed")) {
    require(*v >= 0, t.where("tokens_seed") + " tokens_seed = " + std::to_string(*v) + " must be >= 0");
    s.tokens_seed = static_cast<std::uint64_t>(*v);
  }
  if (auto v = t.get_int("repetitions")) {
    require(*v >= 1 && *v <= 1000, t.where("repetitions") + " repetitions = " + std::to_string(*v) + " must be between 1 and 1000");
    s.repetitions = *v;
  }
  if (auto v = t.get_string("tokens_file")) {
    require(!v->empty(), t.where("tokens_file") + " tokens_file must not be empty");
    s.tokens_file = *v;
  }
  t.finish();
}

toml::table forward_settings_table(ForwardSettings const& s) {
  toml::table t{{"enabled", s.enabled},
                {"batch", s.batch},
                {"seq_len", s.seq_len},
                {"tokens_seed", static_cast<std::int64_t>(s.tokens_seed)}};
  if (!s.tokens_file.empty()) t.insert("tokens_file", s.tokens_file);
  if (s.repetitions != 1) t.insert("repetitions", s.repetitions);
  return t;
}

}  // namespace titan
