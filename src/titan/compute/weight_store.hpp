// What a module's forward and backward read their weights from and write
// their gradients to. FSDP-style: a group of parameters (one block, or a
// norm) is gathered whole, widened to float32, into a reused pool just
// before it computes and dropped after; the embedding and output head, too
// large for that, are gathered in row chunks. A parameter every rank holds
// whole in float32 is read in place. In a training step each gathered group
// gets zeroed full-size float32 gradient buffers; reduce_grads() sums them
// over the ranks (each rank computed its own sequences): reduce-scattered
// over each parameter's shard group onto the owners' boxes, then all-reduced
// over the box's replicas (shard_group.hpp), and added into the gradient
// shard (GradientSet). Gathers, too, run over the shard group only.
// Tensor parallelism (TpPlan): a split parameter is gathered over its shard
// group without tp (this rank's tp slice, views of the slice's extents) and
// its gradient reduced over the same group; the gradient of a parameter the
// tp ranks computed identically is counted once; tp_all_reduce() sums the
// partial activations of row-parallel outputs and column-parallel input
// gradients over the tp ranks.
// Expert parallelism: a parameter sharded over ep (the routed experts,
// Shard(0)) is gathered only for this rank's experts (its ep block of dim 0)
// over the other dimensions that shard it; its views have E/ep rows and its
// gradient is reduced only over the ranks holding that block (no ep peer
// holds it). The MoE sends tokens to those experts (expert_dispatch.hpp).
// Both are one mechanism: each parameter's gathers and reductions keep the
// mesh dimensions compute_keep() names out of its shard group and work on
// the region of it this rank computes with (kept_region(), shard_group.hpp);
// a parameter this rank holds all of that region of is read in place.
#pragma once

#include "titan/compute/compute_types.hpp"
#include "titan/compute/gradients.hpp"
#include "titan/compute/mpi_on_buffers.hpp"
#include "titan/compute/param_gather.hpp"
#include "titan/compute/shard_group.hpp"
#include "titan/compute/tp_plan.hpp"

#include <mpi.h>

#include <unordered_map>
#include <vector>

namespace titan {

//! Communication of the WeightStore by collective kind: calls, bytes this
//! rank put into them (its send buffers), seconds spent in them (staging
//! included).
struct CommCounter {
  std::int64_t calls = 0;
  double bytes = 0, seconds = 0;
};
struct CommStats {
  CommCounter all_gather, reduce_scatter, all_reduce, all_to_all;
  //! Seconds prefetched gathers were in flight while this rank computed
  //! (from their posting to the earlier of their completion, as a progress
  //! test saw it, and their wait): an upper bound on the hidden part.
  double overlapped = 0;
  double seconds() const { return all_gather.seconds + reduce_scatter.seconds + all_reduce.seconds + all_to_all.seconds; }
};

class WeightStore {
 public:
  //! `grads` null: no gradients (a forward pass only).
  WeightStore(Mesh const& mesh, MPI_Comm comm, GradientSet* grads);

  //! The tensor-parallel plan (before the first gather; none: every
  //! parameter computed whole).
  void set_tp_plan(TpPlan plan) { _tp_plan = std::move(plan); }
  TpPlan const& tp_plan() const { return _tp_plan; }
  //! True when p is computed in tp slices (gathered as this rank's slice).
  bool split(Parameter const& p) const { return _tp_size > 1 && _tp_plan.split.count(&p) > 0; }
  int tp_size() const { return _tp_size; }
  //! Collective over the tp ranks: x summed over them in place (counted as an all-reduce).
  void tp_all_reduce(Act const& x);
  MeshComm const& mesh_comm() const { return _mesh_comm; }

  //! Waits for gathers still in flight (prefetch()).
  ~WeightStore();
  WeightStore(WeightStore const&) = delete;
  WeightStore& operator=(WeightStore const&) = delete;

  //! Collective: the full float32 values of `params` until release(); when
  //! they are the group of the last prefetch(), that gather is completed.
  void gather(std::vector<Parameter const*> const& params);
  //! Collective: starts gathering `params` (non-blocking), to be completed
  //! by the next gather() of the same group while the current group
  //! computes (FSDP's prefetch of the next block). Does nothing when off or
  //! on one rank.
  void prefetch(std::vector<Parameter const*> const& params);
  void set_prefetch(bool on) { _prefetch = on; }
  //! On a device build: the collectives take the Views' device pointers (a
  //! CUDA-aware MPI; the run's resolved [mpi] device_buffers) instead of
  //! staging them through host memory. No effect on a host build.
  void set_mpi_device_pointers(bool on) { _device_pointers = on; }
  bool mpi_device_pointers() const { return _device_pointers; }
  //! Lets prefetched gathers progress (MPI_Test); called between sublayers.
  void progress();
  void release();
  //! Views of a gathered parameter of rank 1, 2 or 3 (InternalError otherwise);
  //! an expert-parallel one has its gathered rows only (this rank's experts).
  FVec vec(Parameter const& p) const;
  FMat mat(Parameter const& p) const;
  F3 t3(Parameter const& p) const;

  //! The rows of dim 0 this rank computes with: its tp slice's when p is
  //! split (a vocabulary-parallel embedding or output head), else all.
  std::array<std::int64_t, 2> row_range(Parameter const& p) const;
  //! Collective: rows [r0, r1) of dim 0 of p as float32 [r1 - r0, row], valid
  //! until the next rows() call (within row_range(p)).
  FMat rows(Parameter const& p, std::int64_t r0, std::int64_t r1);

  bool training() const { return _grads != nullptr; }
  //! Zeroed full float32 gradients of the gathered group.
  void begin_grads();
  FVec grad_vec(Parameter const& p) const;
  FMat grad_mat(Parameter const& p) const;
  F3 grad_t3(Parameter const& p) const;
  //! Collective: sums the group's gradients over the ranks onto their
  //! owners and adds each rank's box into its gradient shard.
  void reduce_grads();
  //! A zeroed gradient buffer for rows [r0, r1) of p ([r1 - r0, row]) ...
  FMat grad_rows(Parameter const& p, std::int64_t r0, std::int64_t r1);
  //! ... and, collective, its sum over the ranks added into p's gradient shard.
  void reduce_grad_rows(Parameter const& p, std::int64_t r0, std::int64_t r1);

  //! Bytes of scratch held (pools, row buffers, host staging).
  std::int64_t scratch_bytes() const;
  //! Communication so far (reset with reset_comm()).
  CommStats const& comm() const { return _comm_stats; }
  //! The expert-parallel ranks of this rank's experts (the ranks differing
  //! from it along ep only), their number and this rank's place among them.
  //! (With how their collectives take buffers: ExpertDispatch's all-to-all.)
  CommWithBuffers expert_comm() const { return {_mesh_comm.along_dim(ep), _device_pointers}; }
  int expert_ranks() const { return _mesh.size(ep); }
  int expert_rank() const { return _mesh_comm.coords()[ep]; }
  //! Counts an all-to-all of the MoE's token dispatch (bytes sent to other ranks).
  void count_all_to_all(double bytes, double seconds) {
    _comm_stats.all_to_all.calls += 1;
    _comm_stats.all_to_all.bytes += bytes;
    _comm_stats.all_to_all.seconds += seconds;
  }
  void reset_comm() { _comm_stats = CommStats{}; }

 private:
  float* weight_data(Parameter const& p) const;
  float* grad_data(Parameter const& p) const;
  //! Collective: `rows` (rows [r0, r1) of p's partial gradient, MemSpace)
  //! summed over the ranks; this rank's part added into its gradient shard.
  void reduce_into_shard(Parameter const& p, float* rows, Box const& region, MeshDimMask keep);
  //! What a gather of p assembles for compute: its tp slice when split, its
  //! ep block of experts when sharded over ep, else all of it.
  Box compute_region(Parameter const& p) const;
  MeshDimMask keep_of(Parameter const& p) const { return compute_keep(split(p)); }
  Shape const& extents(Parameter const& p) const;

  Mesh _mesh;
  MPI_Comm _comm;
  int _world = 1;
  GradientSet* _grads = nullptr;
  MeshComm _mesh_comm;
  ParamGather _gather;
  std::vector<Parameter const*> _group;
  std::unordered_map<Parameter const*, float*> _at, _grad_at;
  std::unordered_map<Parameter const*, Box> _region_at;  // what each gathered member holds
  TpPlan _tp_plan;
  int _tp_size = 1, _tp_rank = 0;
  std::vector<std::int64_t> _grad_offset;  // offset of each group member in the gradient pool
  View1<float> _pool, _grad_pool, _rows_buf, _grad_rows_buf, _rs_send, _rs_recv;
  std::vector<float> _host_stage;  // a device build without device pointers for MPI: its collectives' host copies
  bool _device_pointers = false;
  CommStats _comm_stats;
  //! Prefetched gathers: one InFlight per member of _next_group that needs one.
  bool _prefetch = true;
  std::vector<Parameter const*> _next_group;
  std::vector<ParamGather::InFlight> _flights;
  std::vector<int> _flight_of;  // per member of _next_group: index into _flights, -1 when read in place
  std::size_t _flights_used = 0;
  double _posted_at = 0, _done_at = 0;
  bool _all_done = false;
  void drain();
  std::int64_t flights_bytes() const;
  //! Rows [r0, r1) of p gathered into `out`, counted as an all-gather.
  void gather_rows(Parameter const& p, std::int64_t r0, std::int64_t r1, float* out);
};

}  // namespace titan
