#include "titan/modules/moe.hpp"

#include "titan/core/errors.hpp"

#include <cmath>

namespace titan {

std::unique_ptr<Module> GroupedExperts::Config::build_experts(BuildContext const& ctx, std::int64_t dim,
                                                              std::int64_t num_experts, std::int64_t hidden_dim) const {
  return std::unique_ptr<GroupedExperts>(new GroupedExperts(*this, ctx, dim, num_experts, hidden_dim));
}

GroupedExperts::GroupedExperts(Config const& config, BuildContext const& ctx, std::int64_t dim, std::int64_t experts,
                               std::int64_t hidden)
    : Module(config, ctx), _experts(experts), _hidden(hidden), _dim(dim) {
  _w1 = add_parameter("w1", {_experts, _hidden, dim});
  _w2 = add_parameter("w2", {_experts, dim, _hidden});
  _w3 = add_parameter("w3", {_experts, _hidden, dim});
}

std::unique_ptr<Module> GptOssExperts::Config::build_experts(BuildContext const& ctx, std::int64_t dim,
                                                             std::int64_t num_experts, std::int64_t hidden_dim) const {
  return std::unique_ptr<GptOssExperts>(new GptOssExperts(*this, ctx, dim, num_experts, hidden_dim));
}

GptOssExperts::GptOssExperts(Config const& config, BuildContext const& ctx, std::int64_t dim, std::int64_t experts,
                             std::int64_t hidden)
    : Module(config, ctx), _experts(experts), _hidden(hidden), _dim(dim) {
  std::string const where = "GptOssExperts.Config (" + fqn() + ")";
  require(std::isfinite(config.swiglu_limit) && config.swiglu_limit > 0, where + ": swiglu_limit must be > 0");
  require(std::isfinite(config.swiglu_alpha) && config.swiglu_alpha > 0, where + ": swiglu_alpha must be > 0");
  _limit = static_cast<float>(config.swiglu_limit);
  _alpha = static_cast<float>(config.swiglu_alpha);
  _mlp1 = add_parameter("mlp1_weight", {_experts, 2 * _hidden, dim});
  _mlp1_bias = add_parameter("mlp1_bias", {_experts, 2 * _hidden});
  _mlp2 = add_parameter("mlp2_weight", {_experts, dim, _hidden});
  _mlp2_bias = add_parameter("mlp2_bias", {_experts, dim});
}

std::unique_ptr<Router> Router::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<Router>(new Router(*this, ctx, args));
}

Router::Router(Config const& config, BuildContext const& ctx, BuildArgs& args) : Module(config, ctx), _settings(config) {
  std::string const where = "Router.Config (" + fqn() + ")";
  std::int64_t const dim = args.take("dim", std::nullopt, where);
  std::int64_t const experts = args.take("num_experts", std::nullopt, where);
  args.expect_all_taken(where);
  require(config.score_func == "softmax" || config.score_func == "sigmoid",
          where + ": score_func = '" + config.score_func + "' is not known (use 'softmax' or 'sigmoid')");
  require(config.top_k >= 1 && config.top_k <= experts, where + ": top_k = " + std::to_string(config.top_k) +
                                                            " must be between 1 and num_experts = " +
                                                            std::to_string(experts));
  require(std::isfinite(config.route_scale) && config.route_scale > 0, where + ": route_scale must be > 0");
  if (config.num_expert_groups || config.num_limited_groups) {
    require(config.num_expert_groups && config.num_limited_groups,
            where + ": num_expert_groups and num_limited_groups come together");
    require(*config.num_expert_groups > 0 && experts % *config.num_expert_groups == 0,
            where + ": num_expert_groups = " + std::to_string(*config.num_expert_groups) +
                " must divide num_experts = " + std::to_string(experts));
    require(*config.num_limited_groups > 0 && *config.num_limited_groups <= *config.num_expert_groups,
            where + ": num_limited_groups must be between 1 and num_expert_groups");
    // torchtitan's node-limited routing refuses groups of one expert (a group scores its two best).
    require(experts / *config.num_expert_groups >= 2,
            where + ": node-limited routing needs n_expert_groups dividing num_experts into groups of >= 2 experts "
                    "(num_experts = " + std::to_string(experts) + ", n_expert_groups = " +
                std::to_string(*config.num_expert_groups) + ")");
  }
  _route.num_experts = experts;
  _route.top_k = config.top_k;
  _route.softmax = config.score_func == "softmax";
  _route.route_norm = config.route_norm;
  _route.route_scale = static_cast<float>(config.route_scale);
  _route.n_groups = config.num_expert_groups.value_or(0);
  _route.n_limited_groups = config.num_limited_groups.value_or(0);
  _gate = &add_child("gate", config.gate.build(ctx.child("gate"), {{"in_features", dim}, {"out_features", experts}}));
}

std::unique_ptr<MoE> MoE::Config::build(BuildContext const& ctx, BuildArgs args) const {
  return std::unique_ptr<MoE>(new MoE(*this, ctx, args));
}

std::unique_ptr<Module> MoE::Config::build_part(BuildContext const& ctx, std::int64_t dim) const {
  return build(ctx, {{"dim", dim}});
}

MoE::MoE(Config const& config, BuildContext const& ctx, BuildArgs& args) : Module(config, ctx) {
  std::string const where = "MoE.Config (" + fqn() + ")";
  std::int64_t const dim = args.take("dim", std::nullopt, where);
  args.expect_all_taken(where);
  require(config.num_experts > 0, where + ": num_experts must be > 0 (got " + std::to_string(config.num_experts) + ")");
  require(config.hidden_dim > 0, where + ": hidden_dim must be > 0 (got " + std::to_string(config.hidden_dim) + ")");
  require(config.experts != nullptr, where + ": no experts config (the family sets one)");
  _experts = config.num_experts;
  _top_k = config.router.top_k;
  _dim = dim;
  _load_balance_coeff = config.load_balance_coeff;
  _score_before_experts = config.score_before_experts;
  _ep_ranks = ctx.mesh.size(ep);
  // torchtitan's registration order: routed experts, router, shared experts.
  Module& experts = add_child("experts", config.experts->build_experts(ctx.child("experts"), dim, _experts,
                                                                      config.hidden_dim));
  _experts_layer = dynamic_cast<ExpertsLayer*>(&experts);
  require_internal(_experts_layer != nullptr, where + ": the experts module computes nothing");
  _router = &add_child("router", config.router.build(ctx.child("router"), {{"dim", dim}, {"num_experts", _experts}}));
  if (config.shared_experts)
    _shared = &add_child("shared_experts", config.shared_experts->build(ctx.child("shared_experts"), {{"dim", dim}}));
  if (config.load_balance_coeff) _expert_bias = add_buffer("expert_bias", {_experts});
  _tokens_per_expert = add_buffer("tokens_per_expert", {_experts});
}

void MoE::init_own_buffers(InitContext&) {
  for (BufferPtr const& b : {_expert_bias, _tokens_per_expert})
    if (b && b->allocated()) Kokkos::deep_copy(b->data(), 0.0f);
}

}  // namespace titan
