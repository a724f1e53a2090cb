// Where init_states spends its time: seconds per module group, a group being
// a parameter's module path with layer indices folded ("layers.*.feed_forward.w1"),
// so a 126-layer model reads as a dozen lines.
#pragma once

#include "titan/modules/parameter.hpp"

#include <mpi.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace titan {

struct ProfileEntry {
  std::string group;         // "layers.*.attention.wq"
  std::int64_t elements = 0; // global elements initialized in this group
  double max_s = 0;          // slowest rank's seconds in this group
  double fraction = 0;       // of the summed max_s of all groups
};

class InitProfile {
 public:
  //! `fenced` (--profile): fence after every parameter, so device work is
  //! charged to the group that launched it. Unfenced (the default), a device
  //! keeps its queue of fills full and the per-group seconds count launches
  //! only; on a host backend, which runs each kernel to completion before
  //! returning, they are the same either way.
  explicit InitProfile(bool fenced = true) : _fenced(fenced) {}
  //! Starts timing one init_states pass (forgets any earlier pass).
  void start();
  //! Charges the time since the previous mark to `p`'s group, after a fence
  //! when fenced.
  void record(Parameter const& p);
  //! Collective over `comm`: the groups with the slowest rank's seconds each,
  //! largest first. Every rank must have recorded the same parameters.
  std::vector<ProfileEntry> reduce(MPI_Comm comm) const;

  static std::string group_of(std::string const& fqn);

 private:
  bool _fenced = true;
  std::chrono::steady_clock::time_point _mark;
  std::vector<std::string> _order;  // groups in first-seen order (same on every rank)
  std::map<std::string, std::pair<double, std::int64_t>> _local;  // group -> (seconds, global elements)
};

}  // namespace titan
