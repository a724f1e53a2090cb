#include "titan/init/init_spec.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"

#include <cmath>
#include <sstream>

namespace titan {

InitSpec InitSpec::normal(double mean, double std) {
  InitSpec s;
  s.kind = InitKind::normal;
  s.mean = mean;
  s.std = std;
  return s;
}

InitSpec InitSpec::trunc_normal(double mean, double std, double a, double b) {
  InitSpec s;
  s.kind = InitKind::trunc_normal;
  s.mean = mean;
  s.std = std;
  s.a = a;
  s.b = b;
  return s;
}

InitSpec InitSpec::uniform(double a, double b) {
  InitSpec s;
  s.kind = InitKind::uniform;
  s.a = a;
  s.b = b;
  return s;
}

InitSpec InitSpec::ones() {
  InitSpec s;
  s.kind = InitKind::ones;
  return s;
}

InitSpec InitSpec::zeros() {
  InitSpec s;
  s.kind = InitKind::zeros;
  return s;
}

InitSpec InitSpec::constant(double v) {
  InitSpec s;
  s.kind = InitKind::constant;
  s.value = v;
  return s;
}

InitSpec InitSpec::skip() {
  InitSpec s;
  s.kind = InitKind::skip;
  return s;
}

bool InitSpec::random() const {
  return kind == InitKind::normal || kind == InitKind::trunc_normal || kind == InitKind::uniform;
}

std::string InitSpec::describe() const {
  std::ostringstream o;
  o << init_kind_name(kind);
  switch (kind) {
    case InitKind::normal: o << "(mean=" << mean << ", std=" << std << ")"; break;
    case InitKind::trunc_normal: o << "(mean=" << mean << ", std=" << std << ", a=" << a << ", b=" << b << ")"; break;
    case InitKind::uniform: o << "(a=" << a << ", b=" << b << ")"; break;
    case InitKind::constant: o << "(value=" << value << ")"; break;
    default: break;
  }
  return o.str();
}

void InitSpec::validate(std::string const& where) const {
  auto finite = [](double x) { return std::isfinite(x); };
  switch (kind) {
    case InitKind::normal:
      require(finite(mean), where + ": mean must be finite");
      require(finite(std) && std >= 0.0, where + ": std must be " + (finite(std) ? "" : "a finite number ") + ">= 0 (got " +
                                             number_text(std) + ")");
      break;
    case InitKind::trunc_normal:
      require(finite(mean), where + ": mean must be finite");
      require(finite(std) && std > 0.0, where + ": std must be " + (finite(std) ? "" : "a finite number ") + "> 0 (got " +
                                            number_text(std) + ")");
      require(finite(a) && finite(b) && a < b, where + ": truncation bounds need finite a < b (got a=" + number_text(a) +
                                                   ", b=" + number_text(b) + ")");
      break;
    case InitKind::uniform:
      require(finite(a) && finite(b) && a < b, where + ": uniform bounds need finite a < b (got a=" + number_text(a) +
                                                   ", b=" + number_text(b) + ")");
      break;
    case InitKind::constant: require(finite(value), where + ": constant value must be finite"); break;
    default: break;
  }
}

char const* init_kind_name(InitKind k) {
  switch (k) {
    case InitKind::normal: return "normal";
    case InitKind::trunc_normal: return "trunc_normal";
    case InitKind::uniform: return "uniform";
    case InitKind::ones: return "ones";
    case InitKind::zeros: return "zeros";
    case InitKind::constant: return "constant";
    case InitKind::skip: return "skip";
  }
  return "?";
}

bool parse_init_kind(std::string const& name, InitKind& out) {
  for (InitKind k : {InitKind::normal, InitKind::trunc_normal, InitKind::uniform, InitKind::ones, InitKind::zeros,
                     InitKind::constant, InitKind::skip}) {
    if (name == init_kind_name(k)) {
      out = k;
      return true;
    }
  }
  return false;
}

std::string init_kind_names() { return "normal, trunc_normal, uniform, ones, zeros, constant, skip"; }

}  // namespace titan
