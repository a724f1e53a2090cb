// Statistics computed inside the fill kernels (issue 20) against the
// separate re-reading pass (local_stats, the code every earlier build used)
// and against sums recomputed here in long double from the stored values:
// fingerprint, count, min and max identical, sums within 1e-12 relative, on
// sharded boxes, both kernel paths, every init kind, float32 and bfloat16.
#include "titan/core/bf16.hpp"
#include "titan/init/fill.hpp"
#include "titan/init/fingerprint.hpp"
#include "titan/init/value_stats.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace titan;

namespace {

Placements shard_on(int dp_dim, int tp_dim) {
  Placements pl = replicated();
  if (dp_dim >= 0) pl[dp_shard] = Placement::shard(dp_dim);
  if (tp_dim >= 0) pl[tp] = Placement::shard(tp_dim);
  return pl;
}

struct Layout_ {
  char const* what;
  Shape shape;
  MeshRequest mesh;
  Placements placements;
};

// Partial chunks at row ends (odd widths and offsets) and whole ones.
std::vector<Layout_> layouts() {
  return {
      {"1-D, whole, 3 chunks and a tail", {4099}, MeshRequest{{1, 1, 1}}, replicated()},
      {"1-D, 3 shards", {4099}, MeshRequest{{3, 1, 1}}, shard_on(0, -1)},
      {"2-D, column shards", {37, 301}, MeshRequest{{1, 1, 3}}, shard_on(-1, 1)},
      {"2-D, rows x columns", {64, 256}, MeshRequest{{2, 1, 2}}, shard_on(0, 1)},
      {"3-D, odd offsets", {5, 7, 131}, MeshRequest{{2, 1, 3}}, shard_on(1, 2)},
  };
}

bool within(double a, double b, double rel) { return a == b || std::fabs(a - b) <= rel * std::fabs(b); }

// Sums of the stored values of p, in long double, one element at a time.
void exact_sums(Parameter const& p, long double& sum, long double& sum_sq) {
  sum = sum_sq = 0;
  auto add = [&](double v) {
    sum += v;
    sum_sq += static_cast<long double>(v) * v;
  };
  if (p.dtype() == DType::float32) {
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), p.f32());
    for (std::size_t i = 0; i < h.extent(0); ++i) add(h(i));
  } else {
    auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), p.bf16());
    for (std::size_t i = 0; i < h.extent(0); ++i) add(bf16_to_float(h(i)));
  }
}

}  // namespace

TEST_CASE("fused statistics = the re-reading pass, on sharded boxes, both paths, every kind", "[init][stats]") {
  std::vector<InitSpec> const specs = {InitSpec::normal(0.25, 2.0), InitSpec::trunc_normal(0, 0.02, -0.04, 0.04),
                                       InitSpec::uniform(-1.0, 3.0),  InitSpec::ones(),
                                       InitSpec::zeros(),             InitSpec::constant(-0.1)};
  for (Layout_ const& lay : layouts()) {
    Mesh const mesh = Mesh::resolve(lay.mesh, lay.mesh.sizes[0] * lay.mesh.sizes[1] * lay.mesh.sizes[2]);
    for (DType dt : {DType::float32, DType::bfloat16})
      for (InitSpec const& spec : specs)
        for (KernelPath path : {KernelPath::generic, KernelPath::host_chunked})
          for (int r = 0; r < mesh.world_size(); ++r) {
            INFO(lay.what << ", " << dtype_name(dt) << ", " << spec.describe() << ", " << kernel_path_name(path)
                          << ", rank " << r);
            Parameter p("layers.0.feed_forward.w1.weight", lay.shape, lay.placements, dt, mesh, r);
            p.allocate();
            FillResult const fused = fill_parameter_with_stats(p, spec, 17, path);
            ValueStats const reread = local_stats(p, path);
            REQUIRE(fused.filled);
            CHECK(fused.stats.fingerprint == reread.fingerprint);
            CHECK(fused.stats.count == reread.count);
            CHECK(fused.stats.count == static_cast<double>(p.local_numel()));
            CHECK(fused.stats.min == reread.min);
            CHECK(fused.stats.max == reread.max);
            CHECK(within(fused.stats.sum, reread.sum, 1e-12));
            CHECK(within(fused.stats.sum_sq, reread.sum_sq, 1e-12));
            CHECK(stats_disagree(fused.stats, reread).empty());
          }
  }
}

TEST_CASE("fused sums on 4 Mi elements: within 1e-12 of the re-read and of a long double sum", "[init][stats]") {
  Mesh const one = Mesh::resolve(MeshRequest{{1, 1, 1}}, 1);
  std::int64_t const n = (std::int64_t(1) << 22) + 5;
  for (DType dt : {DType::float32, DType::bfloat16})
    for (InitSpec const& spec : {InitSpec::normal(0.0, 1.0), InitSpec::trunc_normal(0.0, 0.02, -0.06, 0.06)}) {
      INFO(dtype_name(dt) << ", " << spec.describe());
      Parameter p("tok_embeddings.weight", {n}, replicated(), dt, one, 0);
      p.allocate();
      FillResult const fused = fill_parameter_with_stats(p, spec, 3);
      ValueStats const reread = local_stats(p);
      long double sum, sum_sq;
      exact_sums(p, sum, sum_sq);
      CHECK(fused.stats.fingerprint == reread.fingerprint);
      CHECK(within(fused.stats.sum, reread.sum, 1e-12));
      CHECK(within(fused.stats.sum_sq, reread.sum_sq, 1e-12));
      CHECK(within(fused.stats.sum, static_cast<double>(sum), 1e-12));
      CHECK(within(fused.stats.sum_sq, static_cast<double>(sum_sq), 1e-12));
      // Not vacuous: a mean-zero sum of 4 Mi values is far from zero only by ~sqrt(n) sigma.
      CHECK(std::fabs(fused.stats.sum) > 0);
    }
}

TEST_CASE("skip fills nothing and reports no statistics", "[init][stats]") {
  Mesh const one = Mesh::resolve(MeshRequest{{1, 1, 1}}, 1);
  Parameter p("output.weight", {100}, replicated(), DType::float32, one, 0);
  p.allocate();
  CHECK_FALSE(fill_parameter_with_stats(p, InitSpec::skip(), 1).filled);
}

TEST_CASE("stats_disagree: exact fields exactly, sums within the rounding bound", "[init][stats]") {
  ValueStats a = ValueStats::empty();
  a.fingerprint = 0x1234;
  a.count = 1e6;
  a.sum = 12.5;
  a.sum_sq = 4e4;
  a.min = -1.5;
  a.max = 2.25;
  CHECK(stats_disagree(a, a).empty());
  ValueStats b = a;
  b.sum += 1e-9;  // far inside 2 n u sqrt(n sum_sq) = 2e6 * 1.1e-16 * 2e5 = 0.044
  CHECK(stats_disagree(a, b).empty());
  b.sum = a.sum + 0.05;
  CHECK(stats_disagree(a, b).find("sum") == 0);
  b = a;
  b.fingerprint ^= 1;
  CHECK(stats_disagree(a, b).find("fingerprint 0x") == 0);
  b = a;
  b.max = 2.2500000000000004;
  CHECK(stats_disagree(a, b).find("max") == 0);
  b = a;
  b.count += 1;
  CHECK(stats_disagree(a, b).find("count") == 0);
  CHECK(stats_disagree(ValueStats::empty(), ValueStats::empty()).empty());
}
