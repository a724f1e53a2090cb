// Mixture of experts (spec 3.5, with titan_app's classic names): children
// in registration order `experts` (an experts module: GroupedExperts, the
// SwiGLU experts w1/w2/w3, or GptOssExperts, gpt-oss's clamped experts with
// biases), `router` (gate: Linear D -> E, optional bias), optional
// `shared_experts` (a SwiGLU FeedForward of hidden S*Fm); buffers
// expert_bias (when load balancing is on) and tokens_per_expert, [E] float32
// zeros, replicated. The router, the dispatch of tokens to experts and the
// combination of their outputs are the MoE's, shared by every expert kind.
#pragma once

#include "titan/compute/expert_dispatch.hpp"
#include "titan/compute/moe_kernels.hpp"
#include "titan/modules/block_part.hpp"
#include "titan/modules/feed_forward.hpp"
#include "titan/modules/linear.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace titan {

//! What the MoE asks of its experts: compute on the tokens routed to them,
//! grouped by expert (rows [offset[e], offset[e+1]) of xs belong to expert e).
class ExpertsLayer {
 public:
  virtual ~ExpertsLayer() = default;
  virtual Act forward(StepContext& ctx, Act const& xs, std::vector<std::int64_t> const& offset) = 0;
  virtual Act backward(StepContext& ctx, Act const& dys) = 0;
  //! The experts' buffers on `rows` routed rows (N * K).
  virtual ActivationBytes activation_bytes(std::int64_t rows) const = 0;
  //! The experts' FLOPs on `rows` routed rows (N * K, however they are spread over the experts).
  virtual LayerFlops flops(std::int64_t rows) const = 0;
  //! The weights are split over the ep mesh dimension (Shard(0)): each ep
  //! rank computes its own experts (expert parallelism) when ep > 1.
  virtual bool split_over_ep() const = 0;
};

//! The config of an experts module (GroupedExperts or GptOssExperts).
struct ExpertsConfig : ModuleConfig {
  virtual ~ExpertsConfig() = default;
  //! Builds the experts of a layer of width `dim`: `num_experts` experts of `hidden_dim`.
  virtual std::unique_ptr<Module> build_experts(BuildContext const& ctx, std::int64_t dim, std::int64_t num_experts,
                                                std::int64_t hidden_dim) const = 0;
};

//! SwiGLU experts, one [out, in] matrix per expert: w1 [E, Fm, D], w2 [E, D, Fm],
//! w3 [E, Fm, D]; expert e computes w2[e](silu(w1[e] x) * w3[e] x).
class GroupedExperts final : public Module, public ExpertsLayer {
 public:
  struct Config : ExpertsConfig {
    std::unique_ptr<Module> build_experts(BuildContext const& ctx, std::int64_t dim, std::int64_t num_experts,
                                          std::int64_t hidden_dim) const override;
  };
  char const* type_name() const override { return "GroupedExperts"; }
  std::int64_t num_experts() const { return _experts; }
  std::int64_t hidden_dim() const { return _hidden; }
  Act forward(StepContext& ctx, Act const& xs, std::vector<std::int64_t> const& offset) override;
  Act backward(StepContext& ctx, Act const& dys) override;
  ActivationBytes activation_bytes(std::int64_t rows) const override;
  LayerFlops flops(std::int64_t rows) const override;
  bool split_over_ep() const override { return _w1->placements()[ep].is_shard(); }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  GroupedExperts(Config const& config, BuildContext const& ctx, std::int64_t dim, std::int64_t experts,
                 std::int64_t hidden);
  std::int64_t _experts = 0, _hidden = 0, _dim = 0;
  ParameterPtr _w1, _w2, _w3;
  Act _xs, _h1, _h3, _a;  // kept for backward
  std::vector<std::int64_t> _offset;
};

//! gpt-oss's experts (classic names of torchtitan's mlp1_weight_EGD...):
//! mlp1_weight [E, 2 Fm, D] (gate and up interleaved: even rows gate, odd
//! rows up), mlp1_bias [E, 2 Fm], mlp2_weight [E, D, Fm], mlp2_bias [E, D];
//! expert e: h = mlp1 x + b1, a = clamped SwiGLU(h), y = mlp2 a + b2.
class GptOssExperts final : public Module, public ExpertsLayer {
 public:
  struct Config : ExpertsConfig {
    double swiglu_limit = 7.0;
    double swiglu_alpha = 1.702;
    std::unique_ptr<Module> build_experts(BuildContext const& ctx, std::int64_t dim, std::int64_t num_experts,
                                          std::int64_t hidden_dim) const override;
  };
  char const* type_name() const override { return "GptOssExperts"; }
  std::int64_t num_experts() const { return _experts; }
  std::int64_t hidden_dim() const { return _hidden; }
  Act forward(StepContext& ctx, Act const& xs, std::vector<std::int64_t> const& offset) override;
  Act backward(StepContext& ctx, Act const& dys) override;
  ActivationBytes activation_bytes(std::int64_t rows) const override;
  LayerFlops flops(std::int64_t rows) const override;
  bool split_over_ep() const override { return _mlp1->placements()[ep].is_shard(); }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  GptOssExperts(Config const& config, BuildContext const& ctx, std::int64_t dim, std::int64_t experts,
                std::int64_t hidden);
  std::int64_t _experts = 0, _hidden = 0, _dim = 0;
  float _limit = 7.0f, _alpha = 1.702f;
  ParameterPtr _mlp1, _mlp1_bias, _mlp2, _mlp2_bias;
  Act _xs, _h, _a;  // kept for backward
  std::vector<std::int64_t> _offset;
};

//! Token-choice top-k router: gate [E, D] (a Linear, with a bias for gpt-oss).
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

  //! Scores, the top-k on scores + expert_bias (empty: none), the gates.
  Routing forward(StepContext& ctx, Act const& x, FVec expert_bias);
  //! dx += the gradient through the gate values dgates [N, K] (and the gate's own).
  void backward(StepContext& ctx, Routing const& r, Act const& dgates, FMat dx);
  //! The gate's FLOPs on n_seq * T rows.
  LayerFlops flops(std::int64_t n_seq, std::int64_t T) const;

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  Router(Config const& config, BuildContext const& ctx, BuildArgs& args);
  Config _settings;
  RouterSettings _route;
  Linear* _gate = nullptr;
  Act _scores;  // the probabilities, kept for backward
};

//! The rows of the last forward pass of one MoE layer on this rank (the
//! recomputation under activation checkpointing not counted again), per
//! expert [E]: `routed` this rank's tokens' (token, expert) pairs, `computed`
//! the rows this rank's experts computed (all of its own tokens' without
//! expert parallelism; with it, the rows every ep peer sent to this rank's
//! experts, 0 for the other experts).
struct MoELoad {
  std::vector<double> routed, computed;
};

class MoE final : public Module, public Layer {
 public:
  struct Config : ModuleConfig, BlockPart {
    std::int64_t num_experts = 0;  // E
    std::int64_t hidden_dim = 0;   // Fm, per expert
    //! The experts' kind and its config (GroupedExperts::Config, GptOssExperts::Config).
    std::shared_ptr<ExpertsConfig const> experts;
    Router::Config router;
    std::optional<FeedForward::Config> shared_experts;  // its hidden_dim set by the family (S * Fm)
    //! Load balancing (torchtitan's load_balance_coeff): when set, the
    //! expert_bias buffer exists.
    std::optional<double> load_balance_coeff = 1e-3;
    //! Where the gate multiplies: false = the experts' outputs (in combine,
    //! Qwen3, DeepSeek-V3, gpt-oss); true = the experts' input, expert(gate * x)
    //! (torchtitan's score_before_experts, Llama4). SwiGLU is not linear, so they differ.
    bool score_before_experts = false;
    //! Build argument: dim.
    std::unique_ptr<MoE> build(BuildContext const& ctx, BuildArgs args) const;
    std::unique_ptr<Module> build_part(BuildContext const& ctx, std::int64_t dim) const override;
  };

  char const* type_name() const override { return "MoE"; }
  std::int64_t num_experts() const { return _experts; }
  std::int64_t top_k() const { return _top_k; }
  std::optional<double> load_balance_coeff() const { return _load_balance_coeff; }
  BufferPtr const& expert_bias() const { return _expert_bias; }            // null without load balancing
  BufferPtr const& tokens_per_expert() const { return _tokens_per_expert; }
  std::int64_t dim() const { return _dim; }
  //! Expert parallelism: ep > 1 and the experts split over it; tokens are
  //! then dispatched to their experts' ranks (expert_dispatch.hpp).
  bool expert_parallel() const { return _ep_ranks > 1 && _experts_layer->split_over_ep(); }
  int ep_ranks() const { return _ep_ranks; }
  MoELoad const& last_load() const { return _load; }

  //! out = sum_k gate_k expert_k(x) (+ shared(x)); torchtitan's MoE.
  Act forward(StepContext& ctx, Act const& x) override;
  Act backward(StepContext& ctx, Act const& dy) override;
  ActivationBytes activation_bytes(std::int64_t n_seq, std::int64_t T) const override;
  LayerFlops flops(std::int64_t n_seq, std::int64_t T) const override;

 protected:
  void init_own_buffers(InitContext& ctx) override;  // zeros

 private:
  MoE(Config const& config, BuildContext const& ctx, BuildArgs& args);
  std::int64_t _experts = 0, _top_k = 0, _dim = 0;
  int _ep_ranks = 1;  // the mesh's ep
  std::optional<double> _load_balance_coeff;
  bool _score_before_experts = false;
  BufferPtr _expert_bias, _tokens_per_expert;  // [E] each; expert_bias may be null
  ExpertsLayer* _experts_layer = nullptr;
  Router* _router = nullptr;
  FeedForward* _shared = nullptr;
  Act _x, _ys;        // kept for backward
  Routing _routing;   // kept for backward
  ExpertDispatch _dispatch;  // expert parallelism: the forward's plan, reused by the backward
  MoELoad _load;
  void record_load(Routing const& r, bool expert_parallel);
};

}  // namespace titan
