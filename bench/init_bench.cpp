// init_bench: elements/s of every initializer, and of the stats and hash
// reductions, on one rank, side by side with a Kokkos fill and a Kokkos copy
// of the same array measured in the same run, with each kernel's work items
// per launch (launch_shape.hpp: on a device at least one per Philox block).
// Every initializer row is the fused kernel (values and their statistics in
// one pass, issue 20); "normal(0, 1) then a stats pass" is the way before it.
// The RoPE rows: the freqs_cis table (dim 128) by the kernel and by the host
// reference (libm, one element at a time: the way before issue 20).
//
//   init_bench [--elements N] [--reps R] [--json FILE]
//
// Each figure is the best of R fenced repetitions after one warm-up (the
// RoPE reference: one run, on at most 16 Mi elements).
#include "titan/core/dtype.hpp"
#include "titan/core/types.hpp"
#include "titan/init/fill.hpp"
#include "titan/init/fingerprint.hpp"
#include "titan/init/launch_shape.hpp"
#include "titan/init/philox_chunk.hpp"
#include "titan/modules/rope_table.hpp"

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

using namespace titan;

namespace {

// Seconds of CPU the whole process used (all its threads).
double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Best wall-clock and best CPU seconds of R repetitions. On a host backend
// the CPU figure is what the kernel costs a core even when other jobs share
// the machine (a shared 2-core box runs at a third of its speed in wall
// time); on a device it means nothing and is not printed.
struct Timing {
  double wall = 1e300, cpu = 1e300;
};

template <class F>
Timing best_seconds(int reps, F&& f) {
  f();  // warm-up: first touch of the pages, caches
  Kokkos::fence();
  Timing best;
  for (int r = 0; r < reps; ++r) {
    double const c0 = cpu_seconds();
    Kokkos::Timer timer;
    f();
    Kokkos::fence();
    best.wall = std::min(best.wall, timer.seconds());
    best.cpu = std::min(best.cpu, cpu_seconds() - c0);
  }
  return best;
}

// Rows for --json: {"dtype", "kernel", "elements", "seconds", "M_elem_per_s", "GBps", "over_fill", "work_items"}.
std::vector<std::string> json_rows;

std::string json_row(char const* dtype, char const* kernel, double elems, double seconds, double bytes_per_elem,
                     double fill_s_per_elem, std::int64_t items) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{\"dtype\": \"%s\", \"kernel\": \"%s\", \"elements\": %.0f, \"seconds\": %.6g, "
                "\"M_elem_per_s\": %.6g, \"GBps\": %.6g, \"over_fill\": %.6g, \"work_items\": %lld}",
                dtype, kernel, elems, seconds, elems / seconds / 1e6, elems * bytes_per_elem / seconds / 1e9,
                fill_s_per_elem * elems / seconds, static_cast<long long>(items));
  return buf;
}

struct Case {
  char const* name;
  InitSpec spec;
};

template <class T>
void bench_dtype(DType dtype, std::int64_t n, int reps) {
  Mesh const mesh = Mesh::resolve(MeshRequest{{1, 1, 1}}, 1);
  Parameter param("bench.weight", {n}, replicated(), dtype, mesh, 0);
  param.allocate();
  View1<T> dst(Kokkos::view_alloc(Kokkos::WithoutInitializing, "copy_dst"), static_cast<std::size_t>(n));
  View1<T> const src = [&] {
    if constexpr (std::is_same<T, float>::value) return param.f32();
    else return param.bf16();
  }();
  double const bytes = static_cast<double>(n) * sizeof(T);
  Timing const fill = best_seconds(reps, [&] { Kokkos::deep_copy(src, T(1)); });
  Timing const copy = best_seconds(reps, [&] { Kokkos::deep_copy(dst, src); });
  bool const host = default_kernel_path == KernelPath::host_chunked;
  // One line: rate, bandwidth of the array's bytes, ratio to the fill (wall
  // clock, same run), work items per launch, and on a host the rate per CPU second.
  auto row = [&](char const* name, double elems, Timing t, std::int64_t items) {
    char buf[32] = "-";
    if (items > 0) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(items));
    std::printf("  %-34s %12.1f %9.2f %12.2f %14s", name, elems / t.wall / 1e6, elems * sizeof(T) / t.wall / 1e9,
                fill.wall / t.wall * n / elems, buf);
    if (host) std::printf(" %14.1f", elems / t.cpu / 1e6);
    std::printf("\n");
    json_rows.push_back(json_row(dtype_name(dtype), name, elems, t.wall, sizeof(T), fill.wall / n, items));
  };
  std::printf("\n%s, %lld elements (%.0f MiB), best of %d\n", dtype_name(dtype), static_cast<long long>(n),
              bytes / (1 << 20), reps);
  std::printf("  %-34s %12s %9s %12s %14s%s\n", "kernel", "M elem/s", "GB/s", "init / fill", "items/launch",
              host ? "   M elem/CPU-s" : "");
  row("Kokkos fill (baseline)", n, fill, 0);
  row("Kokkos copy (baseline, read+write)", n, copy, 0);
  if (dtype == DType::float32) {
    // The generator alone: Philox4x32-10 words for every element, stored as
    // is, with the fill's work item (a block on a device, a chunk on a host).
    View1<std::uint32_t> words(Kokkos::view_alloc(Kokkos::WithoutInitializing, "words"), static_cast<std::size_t>(n));
    std::uint32_t* const w = words.data();
    PhiloxKey const key = philox_key(1234, "bench.weight");
    bool const chunked = host;
    std::int64_t const per_item = chunked ? philox_chunk_words : 4;
    std::int64_t const items = n / per_item;
    Timing const t = best_seconds(reps, [&] {
      Kokkos::parallel_for(
          "philox_only", Kokkos::RangePolicy<ExecSpace>(0, items), KOKKOS_LAMBDA(std::int64_t c) {
            if (chunked) {
              std::uint32_t buf[philox_chunk_words];
              philox_chunk(key, static_cast<std::uint64_t>(c) * philox_chunk_blocks, buf);
              for (int i = 0; i < philox_chunk_words; ++i) w[c * philox_chunk_words + i] = buf[i];
            } else {
              auto const b = philox_block(key, static_cast<std::uint64_t>(c));
              for (int i = 0; i < 4; ++i) w[4 * c + i] = b.v[i];
            }
          });
    });
    row("Philox4x32-10 words only", static_cast<double>(items * per_item), t, items);
  }
  std::vector<Case> const cases = {
      {"normal(0, 1)", InitSpec::normal(0.0, 1.0)},
      {"trunc_normal(0, 0.02, +-2)", InitSpec::trunc_normal(0.0, 0.02, -2.0, 2.0)},
      {"trunc_normal(0, s, +-3s)", InitSpec::trunc_normal(0.0, 0.015625, -0.046875, 0.046875)},
      {"uniform(-1, 1)", InitSpec::uniform(-1.0, 1.0)},
      {"ones", InitSpec::ones()},
      {"zeros", InitSpec::zeros()},
      {"constant(0.5)", InitSpec::constant(0.5)},
  };
  for (Case const& c : cases) {
    LaunchShape shape;
    Timing const t = best_seconds(reps, [&] { shape = fill_parameter(param, c.spec, 1234, default_kernel_path); });
    row(c.name, n, t, shape.work_items);
  }
  // Before issue 20: the values, then a second pass over memory for their statistics.
  {
    LaunchShape shape;
    Timing const t = best_seconds(reps, [&] {
      shape = fill_parameter(param, cases[0].spec, 1234, default_kernel_path);
      local_stats(param);
    });
    row("normal(0, 1) then a stats pass", n, t, shape.work_items);
  }
  // The reductions after init (on the values of the last case).
  LaunchShape stats_shape, hash_shape;
  Timing const stats = best_seconds(reps, [&] { local_stats(param, default_kernel_path, &stats_shape); });
  Timing const hash = best_seconds(reps, [&] { local_fingerprint(param, default_kernel_path, &hash_shape); });
  row("stats (sums, min, max, fingerprint)", n, stats, stats_shape.work_items);
  row("hash (fingerprint only)", n, hash, hash_shape.work_items);
  if (dtype == DType::float32) {  // the RoPE table is float32
    RoPEConfig c;
    c.dim = 128;
    c.max_seq_len = std::max<std::int64_t>(1, n / c.dim);
    View1<float> table(Kokkos::view_alloc(Kokkos::WithoutInitializing, "freqs_cis"),
                       static_cast<std::size_t>(c.max_seq_len * c.dim));
    RopeTableFill info;
    Timing const t = best_seconds(reps, [&] { info = fill_rope_buffer(c, table); });
    row("RoPE table (kernel)", static_cast<double>(info.elements), t, info.shape.work_items);
    c.max_seq_len = std::min<std::int64_t>(c.max_seq_len, (std::int64_t(1) << 24) / c.dim);
    std::vector<float> host(static_cast<std::size_t>(c.max_seq_len * c.dim));
    Timing ref;
    double const c0 = cpu_seconds();
    Kokkos::Timer timer;
    fill_rope_table(c, host.data());
    ref.wall = timer.seconds();
    ref.cpu = cpu_seconds() - c0;
    row("RoPE table (host reference, libm)", static_cast<double>(host.size()), ref, 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Kokkos::ScopeGuard kokkos(argc, argv);
  std::int64_t n = 64ll << 20;
  int reps = 5;
  char const* json = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--elements") && i + 1 < argc) n = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--json") && i + 1 < argc) json = argv[++i];
    else {
      std::fprintf(stderr, "usage: init_bench [--elements N] [--reps R] [--json FILE]\n");
      return 2;
    }
  }
  if (n < 1 || reps < 1) {
    std::fprintf(stderr, "init_bench: --elements and --reps must be positive\n");
    return 2;
  }
  std::printf("init_bench: execution space %s, one rank, kernel path %s\n", ExecSpace::name(),
              kernel_path_name(default_kernel_path));
  bench_dtype<float>(DType::float32, n, reps);
  bench_dtype<bf16_bits>(DType::bfloat16, n, reps);
  if (json) {
    FILE* f = std::fopen(json, "w");
    if (!f) {
      std::fprintf(stderr, "init_bench: cannot write %s\n", json);
      return 1;
    }
    std::fprintf(f, "{\"program\": \"init_bench\", \"exec_space\": \"%s\", \"kernel_path\": \"%s\", \"rows\": [\n  ",
                 ExecSpace::name(), kernel_path_name(default_kernel_path));
    for (std::size_t i = 0; i < json_rows.size(); ++i) std::fprintf(f, "%s%s", i ? ",\n  " : "", json_rows[i].c_str());
    std::fprintf(f, "\n]}\n");
    std::fclose(f);
  }
  return 0;
}
