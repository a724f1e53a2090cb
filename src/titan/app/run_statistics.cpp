#include "titan/app/run_statistics.hpp"

#include "titan/core/errors.hpp"
#include "titan/init/fingerprint.hpp"
#include "titan/parallel/collective.hpp"

namespace titan {

RunStatistics::RunStatistics(std::vector<ParameterPtr> params)
    : _params(std::move(params)), _local(_params.size(), ValueStats::empty()), _recorded(_params.size(), false) {
  for (std::size_t i = 0; i < _params.size(); ++i) _index[_params[i].get()] = i;
}

std::size_t RunStatistics::index_of(Parameter const& p) const {
  auto const it = _index.find(&p);
  if (it == _index.end()) throw RunError(p.fqn() + ": statistics recorded for a parameter the model does not list");
  return it->second;
}

void RunStatistics::record(Parameter const& p, ValueStats const& local) {
  std::size_t const i = index_of(p);
  _local[i] = local;
  _recorded[i] = true;
}

void RunStatistics::add_part(Parameter const& p, ValueStats const& part) {
  std::size_t const i = index_of(p);
  if (!_recorded[i]) _local[i] = ValueStats::empty();
  _local[i].merge(part);
  _recorded[i] = true;
}

void RunStatistics::gather_local(std::function<void(double)> const& progress) {
  _reread = 0;
  for (std::size_t i = 0; i < _params.size(); ++i) {
    Parameter const& p = *_params[i];
    if (!_recorded[i] && p.allocated()) {  // nothing filled it (skip): read what memory holds
      _local[i] = local_stats(p);
      _recorded[i] = true;
      ++_reread;
      if (progress) progress(static_cast<double>(p.local_numel()));
    }
  }
}

std::vector<ValueStats> RunStatistics::reduce(MPI_Comm comm) const {
  std::size_t const n = _params.size();
  std::vector<std::uint64_t> fp(n, 0);
  std::vector<double> sums(3 * n, 0.0), mins(n), maxs(n);
  for (std::size_t i = 0; i < n; ++i) {
    // A replicated tensor is counted once, on its primary replica.
    ValueStats const s = _params[i]->primary_replica() ? _local[i] : ValueStats::empty();
    fp[i] = s.fingerprint;
    sums[3 * i] = s.count;
    sums[3 * i + 1] = s.sum;
    sums[3 * i + 2] = s.sum_sq;
    mins[i] = s.min;
    maxs[i] = s.max;
  }
  int const count = static_cast<int>(n);
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, fp.data(), count, MPI_UINT64_T, MPI_SUM, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, sums.data(), 3 * count, MPI_DOUBLE, MPI_SUM, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, mins.data(), count, MPI_DOUBLE, MPI_MIN, comm));
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, maxs.data(), count, MPI_DOUBLE, MPI_MAX, comm));
  std::vector<ValueStats> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i].fingerprint = fp[i];
    out[i].count = sums[3 * i];
    out[i].sum = sums[3 * i + 1];
    out[i].sum_sq = sums[3 * i + 2];
    out[i].min = mins[i];
    out[i].max = maxs[i];
  }
  return out;
}

void RunStatistics::verify_local(std::function<void(double)> const& progress) const {
  for (std::size_t i = 0; i < _params.size(); ++i) {
    Parameter const& p = *_params[i];
    if (!_recorded[i] || !p.allocated()) continue;
    ValueStats const again = local_stats(p);
    if (progress) progress(static_cast<double>(p.local_numel()));
    std::string const why = stats_disagree(_local[i], again);
    if (!why.empty())
      throw RunError("--verify: " + p.fqn() + ": the values in memory differ from those the init pass stored (" +
                     why + ")");
  }
}

}  // namespace titan
