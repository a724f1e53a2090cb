// Test harness for one computing module (a transformer block, or any Layer)
// on synthetic weights: builds it on one rank, fills every parameter with
// seeded uniform values, runs titan's forward and backward, and checks them
// against a scalar double-precision reference written in the test:
//   * the output y against the reference's;
//   * the gradient of L = sum(r * y) (r a fixed random tensor) for every
//     parameter element and every input element against central finite
//     differences of the reference's L in float64.
// The reference reads the weights by their FQNs from a map, so that a
// difference quotient is one perturbed entry and two reference calls.
#pragma once

#include "titan/compute/gradients.hpp"
#include "titan/compute/layer.hpp"
#include "titan/compute/weight_store.hpp"
#include "titan/modules/module.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <stdexcept>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace titan_test {

using Vec = std::vector<double>;

//! The block's parameters (and fixed buffers) as float64, by FQN.
struct Weights {
  std::map<std::string, Vec> m;
  Vec const& operator()(std::string const& name) const {
    auto it = m.find(name);
    if (it == m.end()) {
      FAIL("the reference reads '" << name << "', which the module does not have");
      throw std::logic_error(name);
    }
    return it->second;
  }
  double at(std::string const& name, std::int64_t i) const { return (*this)(name)[static_cast<std::size_t>(i)]; }
  bool has(std::string const& name) const { return m.count(name) > 0; }
};

//! y [N * D] of the reference for input x [N * D].
using Reference = std::function<Vec(Weights const&, Vec const&)>;

struct HarnessOptions {
  std::int64_t B = 2, T = 5, D = 12;  // sequences, positions, width
  std::int64_t rope_dim = 4;          // the RoPE table's rotary width
  double theta = 1e6;
  titan::RopeStyle rope_style = titan::RopeStyle::rotate_half;
  //! Uniform ranges by FQN suffix (first match); others use `default_range`.
  std::vector<std::pair<std::string, std::pair<float, float>>> ranges;
  std::pair<float, float> default_range{-0.4f, 0.4f};
  //! Values of buffers the module reads (expert_bias), by FQN.
  std::map<std::string, std::vector<float>> buffers;
  //! Elements per tensor checked by finite differences (evenly spaced; all when fewer).
  std::int64_t fd_samples = 40;
  double fd_step = 1e-5;
  double grad_tolerance = 2e-4;  // |titan - fd| <= tol * max |fd| of the tensor (+ 1e-7)
  std::uint32_t seed = 1234;
};

struct HarnessResult {
  double max_forward_err = 0, max_forward_ref = 0;
  int tensors_checked = 0, tensors_nonzero = 0;
  double flops = 0;
};

//! The RoPE table [T, rope_dim/2, 2] (cos, sin of t theta^(-2j/rope_dim)).
std::vector<float> rope_table(HarnessOptions const& o);
//! The angle of position t, pair j, as the reference uses it (double).
double rope_angle(HarnessOptions const& o, std::int64_t t, std::int64_t j);

//! Runs the checks (CHECKs inside). `module` must also be a titan::Layer.
HarnessResult check_layer(titan::Module& module, Reference const& ref, HarnessOptions const& o);

//! A BuildContext on one rank, float32, allocating, no prefix.
titan::BuildContext one_rank_context();

}  // namespace titan_test
