// Launch shape of the init kernels (design §9): on a device the fill, stats
// and hash kernels launch at least one work item per Philox block (n / 4 for
// a 1-D tensor of n elements), not one per row. The generic (device) path is
// run here on the host through its KernelPath and must give, element by
// element, the host reference values and the same bits as the host's
// chunked path.
#include "titan/core/bf16.hpp"
#include "titan/init/box_rows.hpp"
#include "titan/init/fill.hpp"
#include "titan/init/fingerprint.hpp"
#include "titan/init/philox_chunk.hpp"
#include "titan/init/samplers.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <vector>

using namespace titan;

namespace {

constexpr KernelKind all_kinds[] = {KernelKind::fill, KernelKind::stats, KernelKind::hash};

char const* kind_name(KernelKind k) {
  return k == KernelKind::fill ? "fill" : k == KernelKind::stats ? "stats" : "hash";
}

// The raw stored bits of a parameter's local shard, on the host.
std::vector<std::uint32_t> local_bits(Parameter const& p) {
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

double bits_value(DType dt, std::uint32_t bits) {
  return dt == DType::float32 ? static_cast<double>(bits_float(bits)) : static_cast<double>(bf16_to_float(bits));
}

// The global linear index of every local element, by nested loops over the
// box (independent of BoxRows and the span map).
std::vector<std::uint64_t> global_indices(Shape const& shape, Box const& box) {
  std::size_t const rank = shape.size();
  std::vector<std::uint64_t> out;
  std::vector<std::int64_t> i(rank, 0);
  if (box.numel() == 0) return out;
  while (true) {
    std::uint64_t g = 0;
    for (std::size_t d = 0; d < rank; ++d) g = g * shape[d] + (box.offset[d] + i[d]);
    out.push_back(g);
    std::size_t d = rank;
    while (d > 0 && ++i[d - 1] == box.extent[d - 1]) i[--d] = 0;
    if (d == 0) return out;
  }
}

struct LayoutCase {
  char const* what;
  Shape shape;
  MeshRequest mesh;
  Placements placements;
};

Placements shard_on(int dp_dim, int tp_dim) {
  Placements pl = replicated();
  if (dp_dim >= 0) pl[dp_shard] = Placement::shard(dp_dim);
  if (tp_dim >= 0) pl[tp] = Placement::shard(tp_dim);
  return pl;
}

std::vector<LayoutCase> layouts() {
  return {
      {"1-D, whole", {4099}, MeshRequest{{1, 1, 1}}, replicated()},
      {"1-D, 3 shards (offsets 1367, 2734)", {4099}, MeshRequest{{3, 1, 1}}, shard_on(0, -1)},
      {"2-D, column shards of width 18/18/17", {37, 53}, MeshRequest{{1, 1, 3}}, shard_on(-1, 1)},
      {"2-D, rows x columns", {37, 53}, MeshRequest{{2, 1, 2}}, shard_on(0, 1)},
      {"3-D, odd offsets in dims 1 and 2", {5, 7, 11}, MeshRequest{{2, 1, 3}}, shard_on(1, 2)},
      {"3-D, row shards (one run per rank)", {6, 7, 11}, MeshRequest{{4, 1, 1}}, shard_on(0, -1)},
      {"4-D, dims 0 and 3", {3, 2, 5, 9}, MeshRequest{{2, 1, 2}}, shard_on(0, 3)},
  };
}

}  // namespace

TEST_CASE("device path launches at least one work item per Philox block of a 1-D tensor", "[init][launch]") {
  CHECK(kernel_path_for(false) == KernelPath::generic);
  CHECK(kernel_path_for(true) == KernelPath::host_chunked);
  for (std::int64_t n : {1ll, 2ll, 3ll, 4ll, 5ll, 63ll, 64ll, 65ll, 4099ll, 1ll << 24, 8030261248ll}) {
    for (KernelKind kind : all_kinds) {
      LaunchShape const s = launch_shape(kind, n, KernelPath::generic);
      CHECK(s.work_items * 4 >= n);
      if (kind != KernelKind::fill) CHECK(s.work_items == n);  // one element per work item
    }
  }
  std::int64_t const n = 1ll << 24;
  std::printf("launch shape, 1-D tensor of %lld elements (work items per launch):\n", static_cast<long long>(n));
  for (KernelPath path : {KernelPath::generic, KernelPath::host_chunked})
    for (KernelKind kind : all_kinds) {
      LaunchShape const s = launch_shape(kind, n, path);
      std::printf("  %-16s %-5s %10lld items, %2lld global indices each\n", kernel_path_name(path), kind_name(kind),
                  static_cast<long long>(s.work_items), static_cast<long long>(s.group));
    }
}

TEST_CASE("the kernels launch the shape launch_shape() gives, at least n / 4 on the device path", "[init][launch]") {
  Mesh const one = Mesh::resolve(MeshRequest{{1, 1, 1}}, 1);
  std::int64_t const n = 100003;
  for (DType dt : {DType::float32, DType::bfloat16}) {
    Parameter p("t.weight", {n}, replicated(), dt, one, 0);
    p.allocate();
    for (KernelPath path : {KernelPath::generic, KernelPath::host_chunked}) {
      LaunchShape fill, stats, hash;
      fill = fill_parameter(p, InitSpec::normal(0, 1), 1, path);
      local_stats(p, path, &stats);
      local_fingerprint(p, path, &hash);
      CHECK(fill.work_items == launch_shape(KernelKind::fill, n, path).work_items);
      CHECK(stats.work_items == launch_shape(KernelKind::stats, n, path).work_items);
      CHECK(hash.work_items == launch_shape(KernelKind::hash, n, path).work_items);
      if (path == KernelPath::generic) {
        CHECK(fill.work_items * 4 >= n);
        CHECK(stats.work_items == n);
        CHECK(hash.work_items == n);
      }
    }
  }
}

TEST_CASE("device path = host chunked path = host reference, bit for bit, on sharded boxes", "[init][launch]") {
  std::vector<InitSpec> const specs = {InitSpec::normal(0.25, 2.0), InitSpec::trunc_normal(0, 0.02, -0.03, 0.03),
                                       InitSpec::uniform(-1.0, 3.0), InitSpec::constant(-0.75)};
  std::string const fqn = "layers.1.attention.wq.weight";
  for (LayoutCase const& lay : layouts()) {
    Mesh const mesh = Mesh::resolve(lay.mesh, lay.mesh.sizes[0] * lay.mesh.sizes[1] * lay.mesh.sizes[2]);
    for (DType dt : {DType::float32, DType::bfloat16}) {
      for (InitSpec const& spec : specs) {
        std::int64_t covered = 0;
        int mismatches = 0, path_diffs = 0, small_launches = 0;
        for (int r = 0; r < mesh.world_size(); ++r) {
          Parameter dev(fqn, lay.shape, lay.placements, dt, mesh, r), host(fqn, lay.shape, lay.placements, dt, mesh, r);
          dev.allocate();
          host.allocate();
          LaunchShape const launched = fill_parameter(dev, spec, 11, KernelPath::generic);
          fill_parameter(host, spec, 11, KernelPath::host_chunked);
          small_launches += launched.work_items * 4 < dev.local_numel();
          auto const d = local_bits(dev), h = local_bits(host);
          auto const g = global_indices(lay.shape, dev.local_box());
          REQUIRE(g.size() == d.size());
          for (std::size_t i = 0; i < d.size(); ++i) {
            path_diffs += d[i] != h[i];
            mismatches += bits_value(dt, d[i]) != reference_value(spec, 11, fqn, dt, g[i]);
          }
          // Stats and hash: fingerprints bit-identical on both paths and to a
          // recomputation from the host values; counts and extremes exact.
          ValueStats const sd = local_stats(dev, KernelPath::generic), sh = local_stats(host, KernelPath::host_chunked);
          std::uint64_t fp = 0;
          for (std::size_t i = 0; i < d.size(); ++i) fp += element_hash(g[i], d[i]);
          CHECK(sd.fingerprint == fp);
          CHECK(sh.fingerprint == fp);
          CHECK(local_fingerprint(dev, KernelPath::generic) == fp);
          CHECK(local_fingerprint(host, KernelPath::host_chunked) == fp);
          CHECK(sd.count == static_cast<double>(d.size()));
          CHECK(sd.min == sh.min);
          CHECK(sd.max == sh.max);
          CHECK(sd.sum == Approx(sh.sum).margin(1e-9));
          covered += dev.local_numel();
        }
        INFO(lay.what << ", " << dtype_name(dt) << ", init kind " << static_cast<int>(spec.kind));
        CHECK(mismatches == 0);
        CHECK(path_diffs == 0);
        CHECK(small_launches == 0);
        CHECK(covered >= numel(lay.shape));  // every element checked (replicas more than once)
      }
    }
  }
}

TEST_CASE("the deep-tail fallback is taken on the device path exactly where the host takes it", "[init][launch]") {
  // Find the first global index whose normal sample takes the slow path
  // (tail probability below 2^-24, about one in 8 million), then fill a
  // shard around it at an odd offset on both paths.
  std::string const fqn = "tok_embeddings.weight";
  InitSpec const spec = InitSpec::normal(0, 1);
  NormalSampler const sample = make_normal_sampler(spec);
  PhiloxKey const key = philox_key(5, fqn);
  std::uint64_t deep = 0;
  bool found = false;
  for (std::uint64_t block = 0; !found && block < (1ull << 28); block += philox_chunk_blocks) {
    std::uint32_t words[philox_chunk_words];
    philox_chunk(key, block, words);
    for (int i = 0; i < philox_chunk_words && !found; ++i) {
      float t;
      sample.fast(words[i], t);
      if (t < deep_tail) {
        deep = 4 * block + static_cast<std::uint64_t>(i);
        found = true;
      }
    }
  }
  REQUIRE(found);
  float t;
  float const fast = sample.fast(philox_word(key, deep), t);
  REQUIRE(t < deep_tail);
  // 1-D tensor of deep + 5000 elements in 997 shards: the shard holding `deep`.
  std::int64_t const n = static_cast<std::int64_t>(deep) + 5000;
  int const k = 997;
  Mesh const mesh = Mesh::resolve(MeshRequest{{k, 1, 1}}, k);
  std::int64_t const chunk = (n + k - 1) / k;
  int const r = static_cast<int>(static_cast<std::int64_t>(deep) / chunk);
  for (DType dt : {DType::float32, DType::bfloat16}) {
    Parameter dev(fqn, {n}, shard_on(0, -1), dt, mesh, r), host(fqn, {n}, shard_on(0, -1), dt, mesh, r);
    dev.allocate();
    host.allocate();
    fill_parameter(dev, spec, 5, KernelPath::generic);
    fill_parameter(host, spec, 5, KernelPath::host_chunked);
    auto const d = local_bits(dev), h = local_bits(host);
    std::int64_t const off = dev.local_box().offset[0];
    REQUIRE(off <= static_cast<std::int64_t>(deep));
    int mismatches = 0;
    for (std::size_t i = 0; i < d.size(); ++i)
      mismatches += d[i] != h[i] || bits_value(dt, d[i]) != reference_value(spec, 5, fqn, dt, off + i);
    CHECK(mismatches == 0);
    double const stored = bits_value(dt, d[deep - static_cast<std::uint64_t>(off)]);
    CHECK(stored == bits_value(dt, dt == DType::float32 ? float_bits(sample.slow(philox_word(key, deep)))
                                                        : float_to_bf16(sample.slow(philox_word(key, deep)))));
    if (dt == DType::float32) CHECK(stored != fast);  // the fallback changed this value
  }
}
