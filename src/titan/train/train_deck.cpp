#include "titan/train/train_deck.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"

#include <cmath>

namespace titan {

char const* lr_decay_name(LrDecay d) {
  switch (d) {
    case LrDecay::none: return "none";
    case LrDecay::linear: return "linear";
    case LrDecay::sqrt: return "sqrt";
    case LrDecay::cosine: return "cosine";
  }
  return "?";
}

char const* activation_checkpointing_name(ActivationCheckpointing a) {
  return a == ActivationCheckpointing::full ? "full" : "none";
}

namespace {

// A finite double in [lo, hi] (open at an end when the flag says so).
double in_range(TableReader& t, std::string const& key, double v, double lo, double hi, bool lo_open, bool hi_open,
                std::string const& range_text) {
  bool const ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  require(ok, t.where(key) + " " + key + " = " + std::to_string(v) + " must be " + range_text);
  return v;
}

}  // namespace

void read_train_settings(TableReader& t, TrainSettings& s) {
  if (auto v = t.get_int("steps")) {
    require(*v >= 0 && *v <= 100000000, t.where("steps") + " steps = " + std::to_string(*v) +
                                            " must be between 0 and 100000000 (0: no training unless --train)");
    s.steps = *v;
    if (*v > 0) s.enabled = true;
  }
  if (auto v = t.get_int("total_steps")) {
    require(*v >= 1 && *v <= 100000000, t.where("total_steps") + " total_steps = " + std::to_string(*v) +
                                            " must be between 1 and 100000000");
    s.total_steps = *v;
  }
  if (auto v = t.get_int("batch")) {
    require(*v >= 1 && *v <= (1 << 20), t.where("batch") + " batch = " + std::to_string(*v) + " must be between 1 and 1048576");
    s.batch = *v;
  }
  if (auto v = t.get_int("seq_len")) {
    require(*v >= 2 && *v <= (1 << 24), t.where("seq_len") + " seq_len = " + std::to_string(*v) +
                                            " must be between 2 and 16777216 (the loss needs two tokens)");
    s.seq_len = *v;
  }
  if (auto v = t.get_int("tokens_seed")) {
    require(*v >= 0, t.where("tokens_seed") + " tokens_seed = " + std::to_string(*v) + " must be >= 0");
    s.tokens_seed = static_cast<std::uint64_t>(*v);
  }
  if (auto v = t.get_string("tokens_file")) {
    require(!v->empty(), t.where("tokens_file") + " tokens_file must not be empty");
    s.tokens_file = *v;
  }
  if (auto v = t.get_double("lr")) s.lr = in_range(t, "lr", *v, 0, 10, true, false, "in (0, 10]");
  if (auto v = t.get_double("beta1")) s.beta1 = in_range(t, "beta1", *v, 0, 1, false, true, "in [0, 1)");
  if (auto v = t.get_double("beta2")) s.beta2 = in_range(t, "beta2", *v, 0, 1, false, true, "in [0, 1)");
  if (auto v = t.get_double("eps")) s.eps = in_range(t, "eps", *v, 0, 1, true, false, "in (0, 1]");
  if (auto v = t.get_double("weight_decay"))
    s.weight_decay = in_range(t, "weight_decay", *v, 0, 1, false, false, "in [0, 1]");
  if (auto v = t.get_double("max_norm"))
    s.max_norm = in_range(t, "max_norm", *v, 0, 1e30, false, false, ">= 0 (0: no clipping)");
  if (auto v = t.get_int("warmup_steps")) {
    require(*v >= 0, t.where("warmup_steps") + " warmup_steps = " + std::to_string(*v) + " must be >= 0");
    s.warmup_steps = *v;
  }
  if (auto v = t.get_string("decay")) {
    if (*v == "none") s.decay = LrDecay::none;
    else if (*v == "linear") s.decay = LrDecay::linear;
    else if (*v == "sqrt") s.decay = LrDecay::sqrt;
    else if (*v == "cosine") s.decay = LrDecay::cosine;
    else throw InputError(t.where("decay") + " decay = '" + echo(*v) + "' is not known (use none, linear, sqrt or cosine)");
  }
  if (auto v = t.get_double("decay_ratio"))
    s.decay_ratio = in_range(t, "decay_ratio", *v, 0, 1, false, false, "in [0, 1]");
  if (auto v = t.get_double("min_lr_factor"))
    s.min_lr_factor = in_range(t, "min_lr_factor", *v, 0, 1, false, false, "in [0, 1]");
  if (auto v = t.get_string("dump_gradients")) {
    require(!v->empty(), t.where("dump_gradients") + " dump_gradients must not be empty");
    s.dump_gradients = *v;
  }
  if (auto v = t.get_string("activation_checkpointing")) {
    if (*v == "none") s.activation_checkpointing = ActivationCheckpointing::none;
    else if (*v == "full") s.activation_checkpointing = ActivationCheckpointing::full;
    else
      throw InputError(t.where("activation_checkpointing") + " activation_checkpointing = '" + echo(*v) +
                       "' is not known (use none or full)");
  }
  if (auto v = t.get_bool("prefetch")) s.prefetch = *v;
  t.finish();
  require(!s.total_steps || s.steps == 0 || *s.total_steps >= s.steps,
          t.where("total_steps") + " total_steps = " + std::to_string(s.total_steps.value_or(0)) +
              " is shorter than the last step " + std::to_string(s.steps) +
              " (the learning-rate schedule would run past its end)");
}

toml::table train_settings_table(TrainSettings const& s) {
  toml::table t{{"steps", s.steps},
                {"batch", s.batch},
                {"seq_len", s.seq_len},
                {"tokens_seed", static_cast<std::int64_t>(s.tokens_seed)},
                {"lr", s.lr},
                {"beta1", s.beta1},
                {"beta2", s.beta2},
                {"eps", s.eps},
                {"weight_decay", s.weight_decay},
                {"max_norm", s.max_norm},
                {"warmup_steps", s.warmup_steps},
                {"decay", lr_decay_name(s.decay)},
                {"min_lr_factor", s.min_lr_factor},
                {"activation_checkpointing", activation_checkpointing_name(s.activation_checkpointing)},
                {"prefetch", s.prefetch}};
  if (!s.tokens_file.empty()) t.insert("tokens_file", s.tokens_file);
  if (s.decay_ratio) t.insert("decay_ratio", *s.decay_ratio);
  if (s.total_steps) t.insert("total_steps", *s.total_steps);
  if (!s.dump_gradients.empty()) t.insert("dump_gradients", s.dump_gradients);
  return t;
}

}  // namespace titan
