// Mixture of experts (spec 3.5, with titan_app's classic names): children
// in registration order `experts` (w1 [E, Fm, D], w2 [E, D, Fm],
// w3 [E, Fm, D], 3-D parameters), `router` (gate: Linear D -> E, optional
// bias), optional `shared_experts` (a SwiGLU FeedForward of hidden S*Fm);
// buffers expert_bias (when load balancing is on) and tokens_per_expert,
// [E] float32 zeros, replicated.
#pragma once

#include "titan/modules/block_part.hpp"
#include "titan/modules/feed_forward.hpp"
#include "titan/modules/linear.hpp"

#include <optional>
#include <string>

namespace titan {

//! The routed experts' weights, one [out, in] matrix per expert. Two layouts:
//!  * w1_w2_w3 (SwiGLU): w1 [E, Fm, D], w2 [E, D, Fm], w3 [E, Fm, D];
//!  * mlp1_mlp2 (GPT-OSS, classic names of torchtitan's mlp1_weight_EGD...):
//!    mlp1_weight [E, 2 Fm, D] (gate and up interleaved: even rows gate, odd
//!    rows up), mlp1_bias [E, 2 Fm], mlp2_weight [E, D, Fm], mlp2_bias [E, D];
//!    the clamped SwiGLU's limit and alpha are stored for the forward pass.
enum class ExpertsLayout { w1_w2_w3, mlp1_mlp2 };

class GroupedExperts final : public Module {
 public:
  struct Config : ModuleConfig {
    ExpertsLayout layout = ExpertsLayout::w1_w2_w3;
    double swiglu_limit = 7.0;   // mlp1_mlp2 only
    double swiglu_alpha = 1.702;  // mlp1_mlp2 only
    //! Build arguments: dim, num_experts, hidden_dim.
    std::unique_ptr<GroupedExperts> build(BuildContext const& ctx, BuildArgs args) const;
  };

  char const* type_name() const override { return "GroupedExperts"; }
  std::int64_t num_experts() const { return _experts; }
  std::int64_t hidden_dim() const { return _hidden; }
  ExpertsLayout layout() const { return _layout; }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  ExpertsLayout _layout = ExpertsLayout::w1_w2_w3;
  GroupedExperts(Config const& config, BuildContext const& ctx, BuildArgs& args);
  std::int64_t _experts = 0, _hidden = 0;
};

//! Token-choice top-k router: gate [E, D]; the routing settings are stored
//! for the forward pass.
class Router final : public Module {
 public:
  struct Config : ModuleConfig {
    Linear::Config gate;  // in = dim, out = num_experts, filled at build
    std::int64_t top_k = 1;
    std::string score_func = "softmax";  // "softmax" or "sigmoid"
    bool route_norm = false;             // renormalize the K selected scores to sum 1
    double route_scale = 1.0;
    std::optional<std::int64_t> num_expert_groups;   // node-limited routing (unset = none)
    std::optional<std::int64_t> num_limited_groups;
    //! Build arguments: dim, num_experts.
    std::unique_ptr<Router> build(BuildContext const& ctx, BuildArgs args) const;
  };

  char const* type_name() const override { return "Router"; }
  Config const& settings() const { return _settings; }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  Router(Config const& config, BuildContext const& ctx, BuildArgs& args);
  Config _settings;
};

class MoE final : public Module {
 public:
  struct Config : ModuleConfig, BlockPart {
    std::int64_t num_experts = 0;  // E
    std::int64_t hidden_dim = 0;   // Fm, per expert
    GroupedExperts::Config experts;
    Router::Config router;
    std::optional<FeedForward::Config> shared_experts;  // its hidden_dim set by the family (S * Fm)
    //! Load balancing (torchtitan's load_balance_coeff): when set, the
    //! expert_bias buffer exists.
    std::optional<double> load_balance_coeff = 1e-3;
    //! Build argument: dim.
    std::unique_ptr<MoE> build(BuildContext const& ctx, BuildArgs args) const;
    std::unique_ptr<Module> build_part(BuildContext const& ctx, std::int64_t dim) const override;
  };

  char const* type_name() const override { return "MoE"; }
  std::int64_t num_experts() const { return _experts; }
  std::int64_t top_k() const { return _top_k; }

 protected:
  void init_own_buffers(InitContext& ctx) override;  // zeros

 private:
  MoE(Config const& config, BuildContext const& ctx, BuildArgs& args);
  std::int64_t _experts = 0, _top_k = 0;
  BufferPtr _expert_bias, _tokens_per_expert;  // [E] each; expert_bias may be null
};

}  // namespace titan
