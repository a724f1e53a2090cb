#include "titan/app/layout_verification.hpp"

#include "titan/init/fingerprint.hpp"
#include "titan/parallel/collective.hpp"

namespace titan {

std::vector<ShardRecord> shard_records(std::vector<ParameterPtr> const& params) {
  std::vector<ShardRecord> out;
  out.reserve(params.size());
  for (auto const& p : params) {
    ShardRecord s;
    s.name = p->fqn();
    s.shape = p->shape();
    s.placements = p->placements();
    s.box = p->local_box();
    s.primary = p->primary_replica();
    s.stored = p->allocated_bytes() / static_cast<std::int64_t>(dtype_size(p->dtype()));
    s.value_hash = p->allocated() ? local_fingerprint(*p) : 0;
    out.push_back(std::move(s));
  }
  return out;
}

LayoutVerdict verify_model_layout(std::vector<ParameterPtr> const& params, Mesh const& mesh, MPI_Comm comm) {
  std::vector<ShardRecord> shards;
  collective(comm, [&] { shards = shard_records(params); });
  MeshComm const mesh_comm(mesh, comm);
  return verify_layout(shards, mesh_comm);
}

std::string describe_failure(LayoutVerdict const& verdict) {
  std::string s = "layout verification failed: " + std::to_string(verdict.problem_count) +
                  (verdict.problem_count == 1 ? " problem" : " problems");
  if (verdict.problem_count > static_cast<std::int64_t>(verdict.problems.size()))
    s += " (below: the first " + std::to_string(verdict.problems.size()) + " that the lowest failing rank found)";
  for (auto const& p : verdict.problems) s += "\n  " + p;
  return s;
}

}  // namespace titan
