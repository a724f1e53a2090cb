#include "titan/parallel/mesh_comm.hpp"

#include "titan/core/errors.hpp"
#include "titan/parallel/collective.hpp"

#include <string>

namespace titan {

MeshComm::MeshComm(Mesh const& mesh, MPI_Comm world) : _mesh(mesh) {
  _comms.fill(MPI_COMM_NULL);
  _comms[0] = MPI_COMM_SELF;
  int size = 0;
  TITAN_MPI_CHECK(MPI_Comm_rank(world, &_rank));
  TITAN_MPI_CHECK(MPI_Comm_size(world, &size));
  if (size != mesh.world_size())
    throw RunError("MeshComm: the mesh " + mesh.describe() + " has " + std::to_string(mesh.world_size()) +
                   " ranks but the communicator has " + std::to_string(size));
  _coords = mesh.coords(_rank);
  try {
    for (MeshDimMask dims = 1; dims <= all_mesh_dims; ++dims) {
      // Colour: row-major index of the coordinates outside `dims`; key: the
      // row-major index inside `dims`, so sub-ranks follow the mesh order.
      int color = 0, key = 0;
      for (int m = 0; m < num_mesh_dims; ++m) {
        if (dims & mesh_dim_bit(m)) key = key * mesh.size(m) + _coords[m];
        else color = color * mesh.size(m) + _coords[m];
      }
      TITAN_MPI_CHECK(MPI_Comm_split(world, color, key, &_comms[dims]));
    }
  } catch (...) {
    free_all();
    throw;
  }
}

MeshComm::~MeshComm() { free_all(); }

void MeshComm::free_all() {
  for (MeshDimMask dims = 1; dims <= all_mesh_dims; ++dims)
    if (_comms[dims] != MPI_COMM_NULL) MPI_Comm_free(&_comms[dims]);
}

MPI_Comm MeshComm::along(MeshDimMask dims) const {
  if (dims > all_mesh_dims) throw RunError("MeshComm::along: no mesh dimension set " + std::to_string(dims));
  return _comms[dims];
}

}  // namespace titan
