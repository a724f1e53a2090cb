#include "titan/train/optimizer_checkpoint.hpp"

#include "titan/core/errors.hpp"
#include "titan/init/fingerprint.hpp"
#include "titan/parallel/collective.hpp"

#include <sys/stat.h>

namespace titan {

namespace {

std::vector<ShardedTensorPtr> tensors_of(std::vector<CheckpointTensor> const& ts) {
  std::vector<ShardedTensorPtr> out;
  for (auto const& t : ts) out.push_back(t.param);
  return out;
}

}  // namespace

std::vector<std::uint64_t> tensor_fingerprints(std::vector<ShardedTensorPtr> const& tensors, MPI_Comm comm) {
  std::vector<std::uint64_t> fp(tensors.size(), 0);
  for (std::size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i]->primary_replica()) fp[i] = local_stats(*tensors[i]).fingerprint;
  if (!fp.empty())
    TITAN_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, fp.data(), static_cast<int>(fp.size()), MPI_UINT64_T, MPI_SUM, comm));
  return fp;
}

OptimizerCheckpoint::OptimizerCheckpoint(AdamW& optimizer, std::vector<MoE*> const& moes, Mesh const& mesh, int rank)
    : _optimizer(optimizer), _moes(moes) {
  for (AdamW::State const& s : optimizer.states()) {
    _tensors.push_back(whole_checkpoint_tensor(s.exp_avg));
    _tensors.push_back(whole_checkpoint_tensor(s.exp_avg_sq));
    if (s.master) _tensors.push_back(whole_checkpoint_tensor(s.master));
  }
  for (MoE* m : moes) {
    if (!m->expert_bias()) continue;
    BufferPtr const& b = m->expert_bias();
    auto t = std::make_shared<ShardedTensor>(b->fqn(), b->shape(), replicated(), DType::float32, mesh, rank);
    t->allocate_zeros();
    _bias_copies.push_back(t);
    _tensors.push_back(whole_checkpoint_tensor(t));
  }
}

CheckpointReport OptimizerCheckpoint::save(MPI_Comm comm, CheckpointSaver& saver, Metadata metadata,
                                           std::uint64_t max_file_bytes, std::uint64_t buffer_bytes) {
  std::size_t k = 0;
  for (MoE* m : _moes)
    if (m->expert_bias()) Kokkos::deep_copy(_bias_copies[k++]->f32(), m->expert_bias()->data());
  std::vector<std::uint64_t> const fps = tensor_fingerprints(tensors_of(_tensors), comm);
  std::uint64_t fp = 0;
  for (std::size_t i = 0; i < _tensors.size(); ++i) fp = combine_fingerprint(fp, _tensors[i].fqn(), fps[i]);
  Metadata kept;  // the run's own keys; the model's dtype, names and fingerprint are not this state's
  for (auto const& kv : metadata)
    if (kv.first != "dtype" && kv.first != "fingerprint" && kv.first != "names") kept.push_back(kv);
  metadata = kept;
  metadata.emplace_back("dtype", "float32");
  metadata.emplace_back("names", "titan");
  metadata.emplace_back("kind", "optimizer");
  metadata.emplace_back("optimizer", "AdamW");
  metadata.emplace_back("step", std::to_string(_optimizer.step()));
  metadata.emplace_back("fingerprint", hex64(fp));
  return saver.write_part(comm, optimizer_subdir, _tensors, metadata, max_file_bytes, buffer_bytes, fp, fps);
}

bool OptimizerCheckpoint::present(MPI_Comm comm, std::string const& dir) {
  int rank = 0, yes = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) {
    struct stat st;
    std::string const path = dir + "/" + optimizer_subdir;
    yes = ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }
  TITAN_MPI_CHECK(MPI_Bcast(&yes, 1, MPI_INT, 0, comm));
  return yes != 0;
}

CheckpointReport OptimizerCheckpoint::load(MPI_Comm comm, std::string const& dir, std::uint64_t buffer_bytes,
                                           CheckpointIdentity const& identity) {
  std::string const sub = dir + "/" + optimizer_subdir;
  Metadata metadata;
  CheckpointReport r = load_checkpoint(comm, sub, _tensors, nullptr, DType::float32, false, buffer_bytes, &metadata,
                                      {identity.family, identity.flavor, "titan"});
  r.kind = "load_optimizer";
  std::vector<std::uint64_t> const fps = tensor_fingerprints(tensors_of(_tensors), comm);
  std::uint64_t fp = 0;
  for (std::size_t i = 0; i < _tensors.size(); ++i) fp = combine_fingerprint(fp, _tensors[i].fqn(), fps[i]);
  check_loaded_checkpoint(comm, sub, metadata, _tensors, fps, fp, "float32");
  std::int64_t step = -1;
  collective(comm, [&] {
    for (auto const& [k, v] : metadata)
      if (k == "step") {
        std::size_t used = 0;
        try {
          step = std::stoll(v, &used);
        } catch (std::exception const&) {
          used = 0;
        }
        if (used != v.size() || step < 0) step = -1;
      }
    require(step >= 0, "--load " + dir + ": " + optimizer_subdir + "/ has no valid 'step' in its metadata");
  });
  _optimizer.set_step(step);
  _optimizer.round_parameters_from_masters();
  std::size_t k = 0;
  for (MoE* m : _moes)
    if (m->expert_bias()) Kokkos::deep_copy(m->expert_bias()->data(), _bias_copies[k++]->f32());
  return r;
}

}  // namespace titan
