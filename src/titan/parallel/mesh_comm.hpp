// Sub-communicators of the device mesh: for every set of mesh dimensions, the
// ranks that differ only in their coordinates along those dimensions (e.g.
// along(tp) = the ranks of one TP group). Built with MPI_Comm_split keyed by
// the other coordinates; freed when the MeshComm goes away.
#pragma once

#include "titan/parallel/mesh.hpp"

#include <mpi.h>

#include <array>

namespace titan {

//! A set of mesh dimensions as a bit mask: bit m stands for MeshDim m.
using MeshDimMask = unsigned;
constexpr MeshDimMask mesh_dim_bit(int dim) { return 1u << dim; }
constexpr MeshDimMask all_mesh_dims = (1u << num_mesh_dims) - 1;

class MeshComm {
 public:
  //! Collective over `world`, whose size must be mesh.world_size() (throws
  //! RunError on every rank otherwise, before any communicator is made).
  //! Creates one sub-communicator per non-empty set of mesh dimensions.
  MeshComm(Mesh const& mesh, MPI_Comm world);
  //! Frees the sub-communicators (not collective in MPI's sense, but every
  //! rank should destroy its MeshComm at the same point of the program).
  ~MeshComm();
  MeshComm(MeshComm const&) = delete;
  MeshComm& operator=(MeshComm const&) = delete;

  Mesh const& mesh() const { return _mesh; }
  int rank() const { return _rank; }
  std::array<int, num_mesh_dims> const& coords() const { return _coords; }

  //! The ranks whose coordinates equal this rank's on every dimension outside
  //! `dims`. Its ranks are ordered row-major over `dims` (so along(tp)'s rank
  //! is this rank's tp coordinate). along(0) is MPI_COMM_SELF; along of all
  //! dimensions spans the world.
  MPI_Comm along(MeshDimMask dims) const;
  //! along(mesh_dim_bit(dim)).
  MPI_Comm along_dim(int dim) const { return along(mesh_dim_bit(dim)); }

 private:
  void free_all();

  Mesh _mesh;
  int _rank = 0;
  std::array<int, num_mesh_dims> _coords{};
  std::array<MPI_Comm, all_mesh_dims + 1> _comms;  // indexed by mask; [0] = MPI_COMM_SELF (not owned)
};

}  // namespace titan
