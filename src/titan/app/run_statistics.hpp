// The per-parameter statistics of a run (design §5, §6), without a second
// pass over memory: the init kernels (and a checkpoint load) hand in each
// parameter's local statistics as they store its values; only a parameter
// nothing filled (initializer `skip`) is read back. Then one reduction over
// the ranks gives the report's per-parameter statistics and fingerprints.
// --verify re-reads every local shard and checks it against what was handed in.
#pragma once

#include "titan/init/value_stats.hpp"
#include "titan/modules/parameter.hpp"

#include <mpi.h>

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace titan {

class RunStatistics {
 public:
  explicit RunStatistics(std::vector<ParameterPtr> params);

  //! The local statistics of `p` as its values were stored (the latest
  //! record wins: a repeated init records the same values again).
  void record(Parameter const& p, ValueStats const& local);
  //! Adds the statistics of a part of p's local values (a checkpoint load
  //! reports them slab by slab as it reads); the first part starts a record.
  void add_part(Parameter const& p, ValueStats const& part);

  //! Local statistics of every parameter (re-reading those never recorded,
  //! `progress` called with the elements read), counted only on the primary
  //! replica; then summed, min'd and max'd over `comm`. Collective: every
  //! rank must call it; a local failure must be caught by the caller's guard
  //! *before* this (the reduction itself only communicates).
  void gather_local(std::function<void(double)> const& progress = {});
  std::vector<ValueStats> reduce(MPI_Comm comm) const;

  //! --verify: reads every recorded local shard back from memory and
  //! compares it with the record (fingerprint, count, min and max exactly;
  //! sums within their rounding bound, stats_agree()). Throws RunError naming
  //! the first parameter that differs. Not collective. `progress` gets the
  //! elements read, parameter by parameter.
  void verify_local(std::function<void(double)> const& progress = {}) const;

  //! Parameters whose statistics came from a re-read in gather_local().
  std::size_t reread() const { return _reread; }

 private:
  std::vector<ParameterPtr> _params;
  std::unordered_map<Parameter const*, std::size_t> _index;
  std::vector<ValueStats> _local;
  std::vector<bool> _recorded;
  std::size_t _reread = 0;
  std::size_t index_of(Parameter const& p) const;
};

}  // namespace titan
