#include "titan/parallel/layout_check.hpp"

#include "titan/parallel/collective.hpp"
#include "titan/parallel/tiling.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace titan {

MeshDimMask replicated_dims(Placements const& p, Mesh const& mesh) {
  MeshDimMask dims = 0;
  for (int m = 0; m < num_mesh_dims; ++m)
    if (!p[m].is_shard() && mesh.size(m) > 1) dims |= mesh_dim_bit(m);
  return dims;
}

std::string describe_rank(Mesh const& mesh, int rank) {
  auto const c = mesh.coords(rank);
  std::ostringstream o;
  o << "rank " << rank << " (";
  for (int m = 0; m < num_mesh_dims; ++m) o << (m ? ", " : "") << mesh_dim_name(m) << "=" << c[m];
  o << ")";
  return o.str();
}

namespace {

std::string describe_dims(MeshDimMask dims) {
  std::string s;
  for (int m = 0; m < num_mesh_dims; ++m)
    if (dims & mesh_dim_bit(m)) s += (s.empty() ? "" : " x ") + std::string(mesh_dim_name(m));
  return s;
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// This rank's own problems, in the order found.
class Problems {
 public:
  void add(std::string text) {
    ++_count;
    if (_texts.size() < static_cast<std::size_t>(max_reported_problems)) _texts.push_back(std::move(text));
  }
  std::int64_t count() const { return _count; }
  std::vector<std::string> const& texts() const { return _texts; }

 private:
  std::int64_t _count = 0;
  std::vector<std::string> _texts;
};

void check_storage(std::vector<ShardRecord> const& shards, Mesh const& mesh, int rank, Problems& problems) {
  for (auto const& s : shards)
    if (s.stored != s.box.numel())
      problems.add(s.name + ": " + describe_rank(mesh, rank) + " stores " + std::to_string(s.stored) +
                   " elements but its box " + describe(s.box) + " has " + std::to_string(s.box.numel()));
}

// Along each set of replicated dimensions: same box, same values, one primary.
void check_replicas(std::vector<ShardRecord> const& shards, MeshComm const& comm, Problems& problems) {
  Mesh const& mesh = comm.mesh();
  for (MeshDimMask dims = 0; dims <= all_mesh_dims; ++dims) {
    std::vector<std::size_t> members;
    for (std::size_t i = 0; i < shards.size(); ++i)
      if (replicated_dims(shards[i].placements, mesh) == dims) members.push_back(i);
    if (members.empty()) continue;  // the same on every rank: placements agree
    if (dims == 0) {                // no replicas: every copy must be primary
      for (std::size_t i : members)
        if (!shards[i].primary)
          problems.add(shards[i].name + ": " + describe_rank(mesh, comm.rank()) +
                       " holds the only copy of its box but is not marked primary (it would not be counted)");
      continue;
    }
    // Per tensor: offsets, extents, stored, value hash (all as uint64: none is negative in a sane layout).
    std::vector<std::uint64_t> lo, hi;
    std::vector<int> primaries;
    for (std::size_t i : members) {
      ShardRecord const& s = shards[i];
      for (auto v : s.box.offset) lo.push_back(static_cast<std::uint64_t>(v));
      for (auto v : s.box.extent) lo.push_back(static_cast<std::uint64_t>(v));
      lo.push_back(static_cast<std::uint64_t>(s.stored));
      lo.push_back(s.value_hash);
      primaries.push_back(s.primary ? 1 : 0);
    }
    hi = lo;
    MPI_Comm const c = comm.along(dims);
    int const n = static_cast<int>(lo.size());
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, lo.data(), n, MPI_UINT64_T, MPI_MIN, c));
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, hi.data(), n, MPI_UINT64_T, MPI_MAX, c));
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, primaries.data(), static_cast<int>(primaries.size()), MPI_INT,
                                  MPI_SUM, c));
    std::size_t at = 0;
    for (std::size_t k = 0; k < members.size(); ++k) {
      ShardRecord const& s = shards[members[k]];
      std::size_t const box_len = 2 * s.box.offset.size() + 1;  // offsets, extents, stored
      std::string const who = s.name + ": the replicas along " + describe_dims(dims) + " of " +
                              describe_rank(mesh, comm.rank());
      if (!std::equal(lo.begin() + at, lo.begin() + at + box_len, hi.begin() + at))
        problems.add(who + " hold different boxes (this rank: " + describe(s.box) + ")");
      else if (lo[at + box_len] != hi[at + box_len])
        problems.add(who + " hold different values (local-shard hashes from " + hex(lo[at + box_len]) + " to " +
                     hex(hi[at + box_len]) + ")");
      if (primaries[k] != 1)
        problems.add(who + " have " + std::to_string(primaries[k]) + " primary copies instead of 1");
      at += box_len + 1;
    }
  }
}

// Primary boxes of tensor i go to rank i % P, which checks their tiling.
void check_tiling_distributed(std::vector<ShardRecord> const& shards, MeshComm const& comm, Problems& problems) {
  MPI_Comm const world = comm.along(all_mesh_dims);
  Mesh const& mesh = comm.mesh();
  int const size = mesh.world_size();
  std::vector<std::vector<std::int64_t>> out(static_cast<std::size_t>(size));
  for (std::size_t i = 0; i < shards.size(); ++i) {
    ShardRecord const& s = shards[i];
    if (!s.primary) continue;
    auto& buf = out[i % static_cast<std::size_t>(size)];
    buf.push_back(static_cast<std::int64_t>(i));
    buf.push_back(static_cast<std::int64_t>(s.box.offset.size()));
    buf.insert(buf.end(), s.box.offset.begin(), s.box.offset.end());
    buf.insert(buf.end(), s.box.extent.begin(), s.box.extent.end());
  }
  std::vector<int> send_counts(size), send_displs(size), recv_counts(size), recv_displs(size);
  std::vector<std::int64_t> send;
  for (int r = 0; r < size; ++r) {
    send_displs[r] = static_cast<int>(send.size());
    send_counts[r] = static_cast<int>(out[r].size());
    send.insert(send.end(), out[r].begin(), out[r].end());
  }
  TITAN_MPI_CHECK(MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, world));
  int total = 0;
  for (int r = 0; r < size; ++r) {
    recv_displs[r] = total;
    total += recv_counts[r];
  }
  std::vector<std::int64_t> recv(static_cast<std::size_t>(total));
  TITAN_MPI_CHECK(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), MPI_INT64_T, recv.data(),
                                recv_counts.data(), recv_displs.data(), MPI_INT64_T, world));

  // Group the received boxes by tensor, remembering which rank sent each.
  std::vector<std::vector<Box>> boxes(shards.size());
  std::vector<std::vector<int>> senders(shards.size());
  for (int r = 0; r < size; ++r) {
    std::size_t at = static_cast<std::size_t>(recv_displs[r]), end = at + static_cast<std::size_t>(recv_counts[r]);
    while (at + 2 <= end) {
      auto const i = static_cast<std::size_t>(recv[at]);
      auto const ndim = static_cast<std::size_t>(recv[at + 1]);
      if (i >= shards.size() || at + 2 + 2 * ndim > end) {
        problems.add(describe_rank(mesh, r) + " sent a malformed box record (tensor lists differ between ranks?)");
        break;
      }
      auto const first = recv.begin() + static_cast<std::ptrdiff_t>(at + 2);
      auto const n = static_cast<std::ptrdiff_t>(ndim);
      Box b{Shape(first, first + n), Shape(first + n, first + 2 * n)};
      boxes[i].push_back(std::move(b));
      senders[i].push_back(r);
      at += 2 + 2 * ndim;
    }
  }
  for (std::size_t i = comm.rank(); i < shards.size(); i += static_cast<std::size_t>(size)) {
    auto const& who = senders[i];
    TilingResult const t = check_tiling(shards[i].shape, boxes[i], [&](std::size_t k) {
      return "primary " + describe_rank(mesh, who[k]);
    });
    if (!t.ok) problems.add(shards[i].name + " " + describe(shards[i].shape) + ": " + t.problem);
  }
}

// Every rank learns the total count and the first failing rank's messages.
LayoutVerdict gather_verdict(Problems const& problems, MPI_Comm world) {
  int rank = 0, size = 1;
  TITAN_MPI_CHECK(MPI_Comm_rank(world, &rank));
  TITAN_MPI_CHECK(MPI_Comm_size(world, &size));
  LayoutVerdict v;
  std::int64_t count = problems.count();
  TITAN_MPI_CHECK(MPI_Allreduce(&count, &v.problem_count, 1, MPI_INT64_T, MPI_SUM, world));
  v.ok = v.problem_count == 0;
  if (v.ok) return v;
  int const mine = count > 0 ? rank : size;
  int first = size;
  TITAN_MPI_CHECK(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, world));
  std::string text;
  if (rank == first)
    for (auto const& t : problems.texts()) text += t + '\n';
  int len = static_cast<int>(text.size());
  TITAN_MPI_CHECK(MPI_Bcast(&len, 1, MPI_INT, first, world));
  text.resize(static_cast<std::size_t>(len));
  TITAN_MPI_CHECK(MPI_Bcast(&text[0], len, MPI_CHAR, first, world));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) v.problems.push_back(line);
  return v;
}

}  // namespace

LayoutVerdict verify_layout(std::vector<ShardRecord> const& shards, MeshComm const& comm) {
  Problems problems;
  check_storage(shards, comm.mesh(), comm.rank(), problems);
  check_replicas(shards, comm, problems);
  check_tiling_distributed(shards, comm, problems);
  return gather_verdict(problems, comm.along(all_mesh_dims));
}

}  // namespace titan
