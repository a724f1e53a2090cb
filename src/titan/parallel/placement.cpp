#include "titan/parallel/placement.hpp"

#include "titan/core/errors.hpp"

#include <algorithm>
#include <sstream>

namespace titan {

std::string Placement::describe() const {
  return is_shard() ? "Shard(" + std::to_string(shard_dim) + ")" : std::string("Replicate");
}

Placements replicated() {
  Placements p;
  p.fill(Placement::replicate());
  return p;
}

std::string describe(Placements const& p) {
  std::ostringstream o;
  o << "(";
  for (int d = 0; d < num_mesh_dims; ++d) o << (d ? ", " : "") << mesh_dim_name(d) << "=" << p[d].describe();
  o << ")";
  return o.str();
}

bool parse_placement(std::string const& text, Placement& out) {
  if (text == "Replicate" || text == "R") {
    out = Placement::replicate();
    return true;
  }
  std::string const head = "Shard(";
  if (text.size() > head.size() + 1 && text.compare(0, head.size(), head) == 0 && text.back() == ')') {
    std::string const digits = text.substr(head.size(), text.size() - head.size() - 1);
    if (digits.empty() || digits.size() > 2 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return false;
    out = Placement::shard(std::stoi(digits));
    return true;
  }
  return false;
}

std::int64_t Box::numel() const {
  std::int64_t n = 1;
  for (auto e : extent) n *= e;
  return n;
}

std::array<std::int64_t, 2> chunk_range(std::int64_t n, int k, int r) {
  std::int64_t const c = (n + k - 1) / k;
  std::int64_t const begin = std::min<std::int64_t>(static_cast<std::int64_t>(r) * c, n);
  std::int64_t const end = std::min<std::int64_t>(static_cast<std::int64_t>(r + 1) * c, n);
  return {begin, end - begin};
}

Box local_box(Shape const& shape, Placements const& placements, Mesh const& mesh,
              std::array<int, num_mesh_dims> const& coords) {
  Box box{Shape(shape.size(), 0), shape};
  for (int m : shard_nesting_order) {
    int const d = placements[m].shard_dim;
    if (d < 0 || mesh.size(m) == 1) continue;
    auto const range = chunk_range(box.extent[d], mesh.size(m), coords[m]);
    box.offset[d] += range[0];
    box.extent[d] = range[1];
  }
  return box;
}

bool is_primary_replica(Placements const& placements, Mesh const& mesh, std::array<int, num_mesh_dims> const& coords) {
  for (int m = 0; m < num_mesh_dims; ++m)
    if (!placements[m].is_shard() && mesh.size(m) > 1 && coords[m] != 0) return false;
  return true;
}

std::int64_t numel(Shape const& shape) {
  std::int64_t n = 1;
  for (auto e : shape) n *= e;
  return n;
}

std::string describe(Shape const& shape) {
  std::ostringstream o;
  o << "[";
  for (std::size_t i = 0; i < shape.size(); ++i) o << (i ? ", " : "") << shape[i];
  o << "]";
  return o.str();
}

}  // namespace titan
