#include "titan/parallel/mesh.hpp"

#include "titan/core/errors.hpp"

#include <sstream>

namespace titan {

char const* mesh_dim_name(int d) {
  switch (d) {
    case dp_shard: return "dp_shard";
    case ep: return "ep";
    case tp: return "tp";
  }
  return "?";
}

Mesh Mesh::resolve(MeshRequest const& request, int world_size) {
  require(world_size >= 1, "[mesh] world size must be >= 1 (got " + std::to_string(world_size) + ")");
  Mesh m;
  m._world_size = world_size;
  int rest_dim = -1;
  long long product = 1;
  for (int d = 0; d < num_mesh_dims; ++d) {
    int const s = request.sizes[d];
    if (s == -1) {
      require(rest_dim < 0, std::string("[mesh] only one dimension may be -1 (the remaining ranks); both ") +
                                mesh_dim_name(rest_dim) + " and " + mesh_dim_name(d) + " are -1");
      rest_dim = d;
      continue;
    }
    require(s >= 1, std::string("[mesh] ") + mesh_dim_name(d) + " = " + std::to_string(s) +
                        " is not a valid size (use a positive size, or -1 for the remaining ranks)");
    require(!__builtin_mul_overflow(product, static_cast<long long>(s), &product),
            "[mesh] the product of the mesh sizes overflows; each size must be at most the world size");
    m._sizes[d] = s;
  }
  std::ostringstream sizes;
  for (int d = 0; d < num_mesh_dims; ++d) {
    if (d == rest_dim) continue;
    sizes << (sizes.tellp() > 0 ? " * " : "") << mesh_dim_name(d);
  }
  if (rest_dim >= 0) {
    require(world_size % product == 0, "[mesh] " + sizes.str() + " = " + std::to_string(product) +
                                           " does not divide the world size " + std::to_string(world_size));
    m._sizes[rest_dim] = static_cast<int>(world_size / product);
  } else {
    require(product == world_size, "[mesh] " + sizes.str() + " = " + std::to_string(product) + " but the world has " +
                                       std::to_string(world_size) + (world_size == 1 ? " rank" : " ranks"));
  }
  return m;
}

std::array<int, num_mesh_dims> Mesh::coords(int rank) const {
  std::array<int, num_mesh_dims> c{};
  for (int d = num_mesh_dims - 1; d >= 0; --d) {
    c[d] = rank % _sizes[d];
    rank /= _sizes[d];
  }
  return c;
}

int Mesh::rank_of(std::array<int, num_mesh_dims> const& coords) const {
  int rank = 0;
  for (int d = 0; d < num_mesh_dims; ++d) rank = rank * _sizes[d] + coords[d];
  return rank;
}

std::string Mesh::describe() const {
  std::ostringstream o;
  for (int d = 0; d < num_mesh_dims; ++d) o << (d ? " x " : "") << mesh_dim_name(d) << "=" << _sizes[d];
  return o.str();
}

}  // namespace titan
