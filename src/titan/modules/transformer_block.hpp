// One decoder layer: attention, feed_forward, attention_norm, ffn_norm
// (torchtitan's registration order, which is also the init order).
#pragma once

#include "titan/modules/attention.hpp"
#include "titan/modules/feed_forward.hpp"
#include "titan/modules/rms_norm.hpp"

namespace titan {

class TransformerBlock final : public Module {
 public:
  struct Config : ModuleConfig {
    Attention::Config attention;
    FeedForward::Config feed_forward;
    RMSNorm::Config attention_norm, ffn_norm;
    //! Build argument: dim.
    std::unique_ptr<TransformerBlock> build(BuildContext const& ctx, BuildArgs args) const;
  };

  char const* type_name() const override { return "TransformerBlock"; }
  Attention const& attention() const { return *_attention; }
  FeedForward const& feed_forward() const { return *_feed_forward; }

 protected:
  void init_own_buffers(InitContext&) override {}  // no buffers

 private:
  TransformerBlock(Config const& config, BuildContext const& ctx, BuildArgs& args);
  Attention* _attention = nullptr;
  FeedForward* _feed_forward = nullptr;
};

}  // namespace titan
