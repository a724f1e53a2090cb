// Initializer specs: what value distribution a parameter gets (design §2).
#pragma once

#include <string>

namespace titan {

enum class InitKind { normal, trunc_normal, uniform, ones, zeros, constant, skip };

//! One parameter's initializer. Fields that a kind does not use are ignored.
//! trunc_normal uses torch's semantics: a and b are absolute bounds.
struct InitSpec {
  InitKind kind = InitKind::zeros;
  double mean = 0.0;   // normal, trunc_normal
  double std = 1.0;    // normal, trunc_normal
  double a = -2.0;     // trunc_normal lower bound, uniform lower bound
  double b = 2.0;      // trunc_normal upper bound, uniform upper bound
  double value = 0.0;  // constant

  static InitSpec normal(double mean, double std);
  static InitSpec trunc_normal(double mean, double std, double a, double b);
  static InitSpec uniform(double a, double b);
  static InitSpec ones();
  static InitSpec zeros();
  static InitSpec constant(double v);
  static InitSpec skip();

  bool random() const;
  //! Human-readable form, e.g. "trunc_normal(mean=0, std=0.02, a=-2, b=2)".
  std::string describe() const;
  //! Throws InputError (prefixed by `where`) when a field is out of range.
  void validate(std::string const& where) const;
};

char const* init_kind_name(InitKind k);
//! Parses a kind name; returns false when unknown.
bool parse_init_kind(std::string const& name, InitKind& out);
//! The valid kind names, for error messages: "normal, trunc_normal, ...".
std::string init_kind_names();

}  // namespace titan
