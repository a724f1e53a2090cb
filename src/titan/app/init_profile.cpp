#include "titan/app/init_profile.hpp"

#include "titan/parallel/collective.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cctype>

namespace titan {

std::string InitProfile::group_of(std::string const& fqn) {
  std::string g;
  std::size_t i = 0;
  while (i < fqn.size()) {
    std::size_t const end = std::min(fqn.find('.', i), fqn.size());
    std::string part = fqn.substr(i, end - i);
    if (!part.empty() && std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); }))
      part = "*";
    g += (g.empty() ? "" : ".") + part;
    i = end + 1;
  }
  // Drop the parameter's own name: the group is the module.
  std::size_t const dot = g.rfind('.');
  return dot == std::string::npos ? g : g.substr(0, dot);
}

void InitProfile::start() {
  _order.clear();
  _local.clear();
  Kokkos::fence();
  _mark = std::chrono::steady_clock::now();
}

void InitProfile::record(Parameter const& p) {
  if (_fenced) Kokkos::fence();
  auto const now = std::chrono::steady_clock::now();
  std::string const g = group_of(p.fqn());
  auto [it, inserted] = _local.try_emplace(g, 0.0, 0);
  if (inserted) _order.push_back(g);
  it->second.first += std::chrono::duration<double>(now - _mark).count();
  it->second.second += p.numel();
  _mark = now;
}

std::vector<ProfileEntry> InitProfile::reduce(MPI_Comm comm) const {
  std::vector<double> seconds;
  for (auto const& g : _order) seconds.push_back(_local.at(g).first);
  TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, seconds.data(), static_cast<int>(seconds.size()), MPI_DOUBLE, MPI_MAX, comm));
  double total = 0;
  for (double s : seconds) total += s;
  std::vector<ProfileEntry> out;
  for (std::size_t i = 0; i < _order.size(); ++i)
    out.push_back({_order[i], _local.at(_order[i]).second, seconds[i], total > 0 ? seconds[i] / total : 0.0});
  std::stable_sort(out.begin(), out.end(), [](auto const& a, auto const& b) { return a.max_s > b.max_s; });
  return out;
}

}  // namespace titan
