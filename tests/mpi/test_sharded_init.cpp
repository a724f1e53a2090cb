// Sharded initialization on 1, 2, 3 ranks: the distributed model equals an
// unsharded one built on each rank as a second computation path (values and
// fingerprints), the shards tile every tensor exactly, and each rank holds
// exactly its shard's bytes.
#include "titan/core/bf16.hpp"
#include "titan/init/fingerprint.hpp"
#include "titan/models/llama3/llama3_family.hpp"

#include <catch2/catch.hpp>
#include <mpi.h>

#include <vector>

using namespace titan;

namespace {

int world_rank() {
  int r;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int s;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// Collective: true on every rank iff `ok` holds on every rank.
bool all_ranks(bool ok) {
  int v = ok ? 1 : 0, r = 0;
  MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return r == 1;
}

std::unique_ptr<Decoder> build_and_init(Llama3Args const& a, Mesh const& mesh, int rank, DType dtype) {
  BuildContext ctx;
  ctx.mesh = mesh;
  ctx.rank = rank;
  ctx.dtype = dtype;
  auto model = llama3_config(a).build(ctx);
  InitContext ictx;
  ictx.seed = 2024;
  model->init_states(ictx);
  return model;
}

// Host copy of a parameter's local values as raw bits.
std::vector<std::uint32_t> bits_of(Parameter const& p) {
  std::vector<std::uint32_t> out(static_cast<std::size_t>(p.local_numel()));
  if (p.dtype() == DType::float32) {
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), p.f32());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = float_bits(h(i));
  } else {
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), p.bf16());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = h(i);
  }
  return out;
}

std::vector<MeshRequest> meshes_for(int world) {
  std::vector<MeshRequest> m = {MeshRequest{{-1, 1, 1}}};
  if (world % 2 == 0) m.push_back(MeshRequest{{-1, 1, 2}});  // 2-D: FSDP inside TP
  return m;
}

Llama3Args small_model() {
  Llama3Args a = llama3_flavor("debugmodel");
  a.n_layers = 2;
  a.vocab_size = 1001;  // not divisible by 2 or 3: uneven, trailing-short shards
  return a;
}

}  // namespace

TEST_CASE("sharded init equals the unsharded model, element by element and by fingerprint", "[mpi]") {
  int const rank = world_rank(), size = world_size();
  Llama3Args const a = small_model();
  Mesh const one = Mesh::resolve(MeshRequest{{1, 1, 1}}, 1);
  for (DType dtype : {DType::float32, DType::bfloat16}) {
    auto const reference = build_and_init(a, one, 0, dtype);
    auto const ref_params = reference->parameters();
    for (MeshRequest const& req : meshes_for(size)) {
      Mesh const mesh = Mesh::resolve(req, size);
      INFO("mesh " << mesh.describe() << " dtype " << dtype_name(dtype));
      auto const model = build_and_init(a, mesh, rank, dtype);
      auto const params = model->parameters();
      REQUIRE(params.size() == ref_params.size());

      std::vector<std::uint64_t> fp(params.size()), ref_fp(params.size());
      bool values_equal = true;
      for (std::size_t i = 0; i < params.size(); ++i) {
        Parameter const& p = *params[i];
        Parameter const& full = *ref_params[i];
        values_equal = values_equal && p.fqn() == full.fqn();
        fp[i] = p.primary_replica() ? local_stats(p).fingerprint : 0;
        ref_fp[i] = local_stats(full).fingerprint;
        // Second path: the same global elements read from the unsharded tensor.
        auto const mine = bits_of(p), all_bits = bits_of(full);
        Box const& b = p.local_box();
        Shape const& s = p.shape();
        std::size_t k = 0;
        if (s.size() == 1) {
          for (std::int64_t x = 0; x < b.extent[0]; ++x) values_equal &= mine[k++] == all_bits[b.offset[0] + x];
        } else {
          for (std::int64_t x = 0; x < b.extent[0]; ++x)
            for (std::int64_t y = 0; y < b.extent[1]; ++y)
              values_equal &= mine[k++] == all_bits[(b.offset[0] + x) * s[1] + b.offset[1] + y];
        }
      }
      CHECK(all_ranks(values_equal));
      MPI_Allreduce(MPI_IN_PLACE, fp.data(), static_cast<int>(fp.size()), MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
      CHECK(fp == ref_fp);
    }
  }
}

TEST_CASE("local shards tile every tensor exactly once per replica group", "[mpi]") {
  int const rank = world_rank(), size = world_size();
  for (MeshRequest const& req : meshes_for(size)) {
    Mesh const mesh = Mesh::resolve(req, size);
    BuildContext ctx;
    ctx.mesh = mesh;
    ctx.rank = rank;
    ctx.allocate = false;
    auto const model = llama3_config(small_model()).build(ctx);
    bool ok = true;
    for (auto const& p : model->parameters()) {
      // Every rank sends: primary flag, offset[0..1], extent[0..1].
      Box const& b = p->local_box();
      std::int64_t mine[5] = {p->primary_replica() ? 1 : 0, b.offset[0], b.offset.size() > 1 ? b.offset[1] : 0,
                              b.extent[0], b.extent.size() > 1 ? b.extent[1] : 1};
      std::vector<std::int64_t> boxes(5 * static_cast<std::size_t>(size));
      MPI_Allgather(mine, 5, MPI_INT64_T, boxes.data(), 5, MPI_INT64_T, MPI_COMM_WORLD);
      std::int64_t volume = 0;
      for (int r = 0; r < size; ++r) {
        std::int64_t const* A = &boxes[5 * r];
        if (!A[0]) continue;
        volume += A[3] * A[4];
        for (int q = r + 1; q < size; ++q) {
          std::int64_t const* B = &boxes[5 * q];
          if (!B[0] || A[3] * A[4] == 0 || B[3] * B[4] == 0) continue;
          bool const overlap = A[1] < B[1] + B[3] && B[1] < A[1] + A[3] && A[2] < B[2] + B[4] && B[2] < A[2] + A[4];
          ok &= !overlap;
        }
      }
      ok &= volume == p->numel();
    }
    CHECK(all_ranks(ok));
  }
}

TEST_CASE("each rank allocates exactly its shard: FSDP rows = torch.chunk of dim 0", "[mpi]") {
  int const rank = world_rank(), size = world_size();
  Mesh const mesh = Mesh::resolve(MeshRequest{{-1, 1, 1}}, size);
  for (DType dtype : {DType::float32, DType::bfloat16}) {
    BuildContext ctx;
    ctx.mesh = mesh;
    ctx.rank = rank;
    ctx.dtype = dtype;
    auto const model = llama3_config(small_model()).build(ctx);
    std::int64_t allocated = 0, expected = 0;
    for (auto const& p : model->parameters()) {
      allocated += p->allocated_bytes();
      std::int64_t const n0 = p->shape()[0], c = (n0 + size - 1) / size;
      std::int64_t const rows = std::max<std::int64_t>(0, std::min(n0, (rank + 1) * c) - std::min(n0, rank * c));
      expected += rows * (p->numel() / n0) * static_cast<std::int64_t>(dtype_size(dtype));
    }
    CHECK(all_ranks(allocated == expected));
    std::int64_t sum = 0, total = 0;
    MPI_Allreduce(&allocated, &sum, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    for (auto const& p : model->parameters()) total += p->numel() * static_cast<std::int64_t>(dtype_size(dtype));
    CHECK(sum == total);
  }
}
