// What a Config's build() receives besides its own fields: the run-time
// objects (mesh, dtype, FQN prefix, deck overrides) and the values its parent
// decides (BuildArgs).
#pragma once

#include "titan/core/dtype.hpp"
#include "titan/parallel/mesh.hpp"
#include "titan/config/param_overrides.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace titan {

struct BuildContext {
  Mesh mesh;
  int rank = 0;                      // this rank's position in the mesh
  DType dtype = DType::float32;      // storage dtype of every parameter
  bool allocate = true;              // false in a dry run: layouts only
  std::string prefix;                // FQN prefix with trailing '.', "" at the root
  ParamOverrides* overrides = nullptr;  // deck overrides by FQN pattern (may be null)

  //! The context of a child named `name`.
  BuildContext child(std::string const& name) const;
  //! The FQN of a local name under this context ("layers.0." + "weight").
  std::string fqn(std::string const& local) const { return prefix + local; }
};

//! Values a parent decides for its child (e.g. embedding_dim = dim). Each
//! value must come from exactly one place: a build argument given for a
//! Config field that is also set is an error, and so is an argument the
//! Config does not know.
class BuildArgs {
 public:
  BuildArgs() = default;
  BuildArgs(std::initializer_list<std::pair<std::string, std::int64_t>> args) : _args(args) {}

  //! The value of `name`, from the build argument or else the Config field.
  //! `where` names the config for messages, e.g. "Embedding.Config (tok_embeddings)".
  std::int64_t take(std::string const& name, std::optional<std::int64_t> const& config_value,
                    std::string const& where);
  //! Throws when an argument was given that no take() consumed.
  void expect_all_taken(std::string const& where) const;

 private:
  std::vector<std::pair<std::string, std::int64_t>> _args;
  std::vector<std::string> _taken;
};

}  // namespace titan
