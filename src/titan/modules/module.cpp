#include "titan/modules/module.hpp"

#include "titan/core/errors.hpp"
#include "titan/init/fill.hpp"
#include "titan/init/init_range.hpp"

#include <algorithm>
#include <set>
#include <unordered_set>

namespace titan {

Module::Module(ModuleConfig const& config, BuildContext const& ctx)
    : _fqn(ctx.prefix.empty() ? std::string() : ctx.prefix.substr(0, ctx.prefix.size() - 1)),
      _ctx(ctx),
      _config(config) {}

std::optional<InitSpec> Module::initializer_for(std::string const& local_name) {
  if (_ctx.overrides)
    if (auto deck = _ctx.overrides->init_for(_ctx.fqn(local_name))) return deck;
  auto const it = _config.param_init.find(local_name);
  if (it != _config.param_init.end()) return it->second;
  return std::nullopt;
}

ParameterPtr Module::add_parameter(std::string const& local_name, Shape shape) {
  std::string const fqn = _ctx.fqn(local_name);
  for (auto e : shape) require(e > 0, fqn + ": every dimension must be positive, got shape " + describe(shape));

  auto const sharding = _config.sharding.find(local_name);
  if (sharding == _config.sharding.end())
    throw InputError(std::string(type_name()) + " '" + _fqn + "': parameter " + fqn +
                     " has no placements in its Config's sharding (every parameter needs one per mesh dimension)");
  Placements placements = sharding->second;
  if (_ctx.overrides) placements = _ctx.overrides->placements_for(fqn, placements);

  std::optional<InitSpec> const init = initializer_for(local_name);
  if (init) {
    init->validate("initializer of " + fqn);
    check_init_range(*init, _ctx.dtype, "initializer of " + fqn);
    _resolved_init[local_name] = *init;
  }

  auto p = std::make_shared<Parameter>(fqn, std::move(shape), placements, _ctx.dtype, _ctx.mesh, _ctx.rank);
  if (init) p->set_resolved_init(*init);  // for the report: no per-parameter tree walk
  if (_ctx.allocate) p->allocate();
  _params.emplace_back(local_name, p);
  return p;
}

BufferPtr Module::add_buffer(std::string const& local_name, Shape shape) {
  auto b = std::make_shared<Buffer>(_ctx.fqn(local_name), std::move(shape));
  if (_ctx.allocate) b->allocate();
  _buffers.push_back(b);
  return b;
}

void Module::add_tied_parameter(std::string const& local_name, ParameterPtr shared) {
  std::string const fqn = _ctx.fqn(local_name);
  std::optional<InitSpec> const init = initializer_for(local_name);
  require(init && init->kind == InitKind::skip,
          fqn + " is tied to " + shared->fqn() + ", so its initializer must be 'skip' (set " + shared->fqn() +
              "'s initializer instead)");
  _resolved_init[local_name] = *init;
  shared->add_alias(fqn);
  _params.emplace_back(local_name, std::move(shared));
}

void Module::init_states(InitContext& ctx) {
  for (auto& child : _children) child.second->init_states(ctx);
  for (auto& [name, param] : _params) {
    auto const it = _resolved_init.find(name);
    if (it == _resolved_init.end()) {
      std::string available;
      for (auto const& kv : _resolved_init) available += (available.empty() ? "" : ", ") + kv.first;
      throw InputError(std::string(type_name()) + " '" + _fqn + "': parameter " + _ctx.fqn(name) +
                       " has no initializer (param_init has: " + (available.empty() ? "nothing" : available) +
                       "); there is no default");
    }
    if (it->second.kind == InitKind::skip || !ctx.fill_parameters) continue;
    FillResult const filled = fill_parameter_with_stats(*param, it->second, ctx.seed);
    if (ctx.parameter_stats) ctx.parameter_stats(*param, filled.stats);
    if (ctx.after_parameter) ctx.after_parameter(*param);
  }
  init_own_buffers(ctx);
}

void Module::collect(std::vector<ParameterPtr>& out, std::unordered_set<Parameter const*>& seen) const {
  for (auto const& [name, p] : _params)
    if (seen.insert(p.get()).second) out.push_back(p);  // a tied weight once; O(1) per parameter
  for (auto const& child : _children) child.second->collect(out, seen);
}

void Module::collect_buffers(std::vector<BufferPtr>& out) const {
  out.insert(out.end(), _buffers.begin(), _buffers.end());
  for (auto const& child : _children) child.second->collect_buffers(out);
}

std::vector<BufferPtr> Module::buffers() const {
  std::vector<BufferPtr> out;
  collect_buffers(out);
  return out;
}

std::vector<ParameterPtr> Module::parameters() const {
  std::vector<ParameterPtr> out;
  std::unordered_set<Parameter const*> seen;
  collect(out, seen);
  return out;
}

InitSpec const* Module::param_init(std::string const& local_name) const {
  auto const it = _resolved_init.find(local_name);
  return it == _resolved_init.end() ? nullptr : &it->second;
}

std::vector<Module*> Module::child_modules() {
  std::vector<Module*> out;
  for (auto& c : _children) out.push_back(c.second.get());
  return out;
}

std::vector<std::pair<std::string, Module const*>> Module::children() const {
  std::vector<std::pair<std::string, Module const*>> out;
  for (auto const& c : _children) out.emplace_back(c.first, c.second.get());
  return out;
}

}  // namespace titan
