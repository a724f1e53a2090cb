// What the deck layer knows of a model family: its name, flavors, and an
// object holding the family's [model] keys. The families themselves live in
// models/ (one folder each) and are handed to the deck reader by the driver,
// so config/ depends on no family.
#pragma once

#include "titan/config/key_table.hpp"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace titan {

using KeyPosition = std::function<std::string(std::string const& key)>;

//! A family's hyperparameters, as read from [model] (a flavor preset with
//! the deck's keys applied). Each family derives its own struct.
class ModelArgs {
 public:
  virtual ~ModelArgs() = default;
  virtual std::unique_ptr<ModelArgs> clone() const = 0;
  //! Declares every [model] key of the family, bound to this object's members.
  virtual void declare(KeyTable& keys) = 0;
  //! Checks that hold between keys (head counts, limits), after reading.
  //! Throws InputError; `where(key)` is the "file:line:col: [model]" prefix
  //! of a key (of the table when the deck does not set that key).
  virtual void validate(KeyPosition const& where) const = 0;
  //! Transformer blocks of the model (the module tree grows with it).
  virtual std::int64_t num_layers() const = 0;
  //! Values derived from the keys, as "name = value" (for --print-config).
  virtual std::vector<std::pair<std::string, std::string>> derived() const { return {}; }
};

//! One family as the deck reader sees it.
struct DeckFamily {
  std::string name;                                 // deck model.family, e.g. "llama3"
  std::vector<std::string> flavors;                 // deck model.flavor values, first = default
  std::unique_ptr<ModelArgs> (*preset)(std::string const& flavor) = nullptr;  // never null; flavor is valid
};

}  // namespace titan
