// The Module protocol (design §2): a tree of named children, parameters and
// buffers, built from a Config and initialized by init_states().
#pragma once

#include "titan/init/init_spec.hpp"
#include "titan/init/value_stats.hpp"
#include "titan/modules/buffer.hpp"
#include "titan/modules/build_context.hpp"
#include "titan/modules/parameter.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace titan {

//! Fields every module's Config has (torchtitan's Module.Config): the
//! initializer and placements of each of the module's own parameters, keyed
//! by local name ("weight", "bias"). Family presets fill them; the deck
//! overrides them by FQN pattern at build time.
struct ModuleConfig {
  std::map<std::string, InitSpec> param_init;
  std::map<std::string, Placements> sharding;
};

//! Run-time state of init_states(): the seed and a hook called after each
//! parameter is filled (progress reporting, per-module timing).
struct InitContext {
  std::uint64_t seed = 0;
  std::function<void(Parameter const&)> after_parameter;
  //! Receives each filled parameter's local statistics, computed by the fill
  //! kernel from the values it stored (no second pass over memory).
  std::function<void(Parameter const&, ValueStats const&)> parameter_stats;
  //! Buffer init progress: elements of a buffer done since the last call.
  std::function<void(double elements)> buffer_progress;
  //! false: leave the parameters alone and initialize the buffers only (a
  //! checkpoint fills the parameters).
  bool fill_parameters = true;
};

class Module {
 public:
  virtual ~Module() = default;
  Module(Module const&) = delete;
  Module& operator=(Module const&) = delete;

  //! Class name for messages ("Linear").
  virtual char const* type_name() const = 0;
  //! FQN of this module ("layers.3.attention"; "" for the root).
  std::string const& fqn() const { return _fqn; }

  //! Initializes the subtree: children first (registration order, so the
  //! whole subtree of one child is done before the next), then this module's
  //! own parameters from their initializers, then its own buffers.
  //! Throws InputError naming the FQN of a parameter without an initializer.
  void init_states(InitContext& ctx);

  //! Every parameter of the subtree once (tied tensors once), in registration
  //! order: own parameters, then each child's.
  std::vector<ParameterPtr> parameters() const;
  //! The initializer of an own parameter by local name, if any.
  InitSpec const* param_init(std::string const& local_name) const;
  //! Every buffer of the subtree, in registration order (own, then each child's).
  std::vector<BufferPtr> buffers() const;
  std::vector<std::pair<std::string, Module const*>> children() const;
  //! The children, mutable (for the passes that change module state: training).
  std::vector<Module*> child_modules();

 protected:
  Module(ModuleConfig const& config, BuildContext const& ctx);

  //! Registers an own parameter of global `shape`: placements from the
  //! Config (deck may override), initializer likewise; allocates its local
  //! shard unless this is a dry run.
  ParameterPtr add_parameter(std::string const& local_name, Shape shape);
  //! Registers an own float32 buffer of `shape` (replicated on every rank),
  //! allocated unless this is a dry run; init_own_buffers() fills it.
  BufferPtr add_buffer(std::string const& local_name, Shape shape);
  //! Registers an existing tensor under another name (weight tying).
  void add_tied_parameter(std::string const& local_name, ParameterPtr shared);
  //! Registers a child; children are initialized in registration order.
  template <class M>
  M& add_child(std::string const& name, std::unique_ptr<M> child) {
    M& ref = *child;
    _children.emplace_back(name, std::move(child));
    return ref;
  }

  //! Initializes this module's own buffers. Pure virtual on purpose: every
  //! module type must state what its buffers are, even if it has none.
  virtual void init_own_buffers(InitContext& ctx) = 0;

  BuildContext const& build_context() const { return _ctx; }

 private:
  void collect(std::vector<ParameterPtr>& out, std::unordered_set<Parameter const*>& seen) const;
  void collect_buffers(std::vector<BufferPtr>& out) const;
  //! The deck's initializer for an own parameter if a pattern matches, else the Config's.
  std::optional<InitSpec> initializer_for(std::string const& local_name);

  std::string _fqn;
  BuildContext _ctx;
  ModuleConfig _config;
  std::vector<std::pair<std::string, ParameterPtr>> _params;      // own, registration order
  std::vector<BufferPtr> _buffers;                                // own, registration order
  std::map<std::string, InitSpec> _resolved_init;                 // own, after deck overrides
  std::vector<std::pair<std::string, std::unique_ptr<Module>>> _children;
};

//! A module that only holds children (torchtitan's ModuleList/ModuleDict).
class ModuleList final : public Module {
 public:
  ModuleList(BuildContext const& ctx) : Module(ModuleConfig{}, ctx) {}
  char const* type_name() const override { return "ModuleList"; }
  template <class M>
  M& append(std::unique_ptr<M> child) {
    return add_child(std::to_string(_size++), std::move(child));
  }

 protected:
  void init_own_buffers(InitContext&) override {}

 private:
  int _size = 0;
};

}  // namespace titan
