// One collective kind's traffic in a pass or step (plain values, for the
// report): bytes this rank put into its send buffers for other ranks and
// seconds in the calls (packing and staging included), each the maximum over
// the ranks; model_bytes the analytic model's (docs/parallelism.md).
#pragma once

#include <string>

namespace titan {

struct CommKindReport {
  std::string kind;  // all_gather | reduce_scatter | all_reduce | all_to_all
  double bytes = 0, seconds = 0;
  double model_bytes = 0;
};

}  // namespace titan
