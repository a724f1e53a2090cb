// The memory guard's decision (judge_memory) with made-up nodes and models,
// and the reading of the available memory from fake /proc and cgroup files.
#include "titan/app/memory_guard.hpp"
#include "titan/core/memory_limits.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>

using namespace titan;

namespace {

constexpr std::int64_t MiB = std::int64_t(1) << 20;
constexpr std::int64_t GiB = std::int64_t(1) << 30;

NodeMemory node(int ranks, std::int64_t planned, std::int64_t available) {
  NodeMemory n;
  n.name = "node7";
  n.ranks = ranks;
  n.planned_bytes = planned;
  n.available_bytes = available;
  n.available_source = "MemAvailable";
  return n;
}

ModelMemory model(std::int64_t params, DType dtype, int world) { return {params, dtype, world}; }

TextFileReader fake(std::map<std::string, std::string> files) {
  return [files](std::string const& path) -> std::optional<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("the margin is 256 MiB plus 1/16 of the planned bytes", "[memory_guard]") {
  CHECK(margin_bytes(0) == 256 * MiB);
  CHECK(margin_bytes(16 * GiB) == 256 * MiB + GiB);
}

TEST_CASE("a node fits when its planned bytes plus one margin per rank are available", "[memory_guard]") {
  std::int64_t const planned = 2 * GiB;                       // two ranks, 1 GiB each
  std::int64_t const needed = planned + planned / 16 + 2 * 256 * MiB;  // 2.625 GiB
  MemoryVerdict const ok = judge_memory(node(2, planned, needed), model(268435456, DType::float32, 2));
  CHECK(ok.fits);
  CHECK(ok.needed_bytes == needed);
  CHECK(ok.message.empty());
  MemoryVerdict const short_by_one = judge_memory(node(2, planned, needed - 1), model(268435456, DType::float32, 2));
  CHECK_FALSE(short_by_one.fits);
  CHECK(short_by_one.needed_bytes == needed);
}

TEST_CASE("unknown available memory does not refuse", "[memory_guard]") {
  CHECK(judge_memory(node(1, 1000 * GiB, -1), model(1, DType::float32, 1)).fits);
}

TEST_CASE("a refusal says what is needed, what is available and what would fit", "[memory_guard]") {
  // Llama3 405B in float32 on 2 ranks of a node with 24 GiB available.
  std::int64_t const params = 405853388800;
  std::int64_t const planned = params * 4;
  MemoryVerdict const v = judge_memory(node(2, planned, 24 * GiB), model(params, DType::float32, 2));
  REQUIRE_FALSE(v.fits);
  CHECK_THAT(v.message, Catch::StartsWith("not enough memory: the 2 ranks on node node7 need 1.57 TiB (1.48 TiB "
                                          "planned at float32, plus 95.00 GiB margin) but 24.00 GiB is available "
                                          "(MemAvailable)"));
  // Each rank may hold (12 GiB - 256 MiB) / (17/16) of model bytes.
  double const share = (12.0 * GiB - 256.0 * MiB) * 16 / 17;
  long const f32_ranks = std::lround(std::ceil(params * 4.0 / share));
  long const bf16_ranks = std::lround(std::ceil(params * 2.0 / share));
  CHECK(f32_ranks == 137);  // the numbers the message must give
  CHECK(bf16_ranks == 69);
  CHECK_THAT(v.message, Catch::Contains("at float32 it needs about 137 ranks with 2 per node (69 nodes like this one)"));
  CHECK_THAT(v.message, Catch::Contains("in bfloat16 (--set run.dtype=bfloat16) it needs about 69 ranks with 2 per "
                                        "node (35 nodes like this one)"));
}

TEST_CASE("a refusal says when bfloat16 would fit on the same ranks", "[memory_guard]") {
  std::int64_t const params = 3 * GiB;  // 3 Gi parameters: 12 GiB in float32, 6 GiB in bfloat16
  MemoryVerdict const v = judge_memory(node(1, params * 4, 8 * GiB), model(params, DType::float32, 1));
  REQUIRE_FALSE(v.fits);
  CHECK_THAT(v.message, Catch::Contains("at float32 it needs about 2 ranks with 1 per node"));
  CHECK_THAT(v.message, Catch::Contains("in bfloat16 (--set run.dtype=bfloat16) it fits on this rank"));
}

TEST_CASE("a bfloat16 run gets no bfloat16 advice; a crowded node gets no rank count", "[memory_guard]") {
  MemoryVerdict const bf16 = judge_memory(node(1, 16 * GiB, 8 * GiB), model(8 * GiB, DType::bfloat16, 1));
  REQUIRE_FALSE(bf16.fits);
  CHECK_THAT(bf16.message, !Catch::Contains("in bfloat16"));
  // 8 ranks sharing 1 GiB: each has less than its fixed margin.
  MemoryVerdict const crowded = judge_memory(node(8, 8 * MiB, GiB), model(MiB, DType::float32, 8));
  REQUIRE_FALSE(crowded.fits);
  CHECK_THAT(crowded.message, Catch::Contains("no rank count is enough with 8 ranks per node"));
}

TEST_CASE("available memory: MemAvailable without a cgroup limit", "[memory_guard]") {
  auto const read = fake({{"/proc/meminfo", "MemTotal:       32000000 kB\nMemAvailable:   24000000 kB\n"},
                          {"/proc/self/cgroup", "4:memory:/docker/abc\n0::/docker/abc\n"},
                          {"/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n"},
                          {"/sys/fs/cgroup/docker/abc/memory.max", "max\n"}});
  MemoryRoom const r = available_memory(read);
  CHECK(r.bytes == 24000000LL * 1024);
  CHECK(r.source == "MemAvailable");
}

TEST_CASE("available memory: the tightest cgroup v2 limit on the way to the root", "[memory_guard]") {
  auto const read = fake({{"/proc/meminfo", "MemAvailable:   24000000 kB\n"},
                          {"/proc/self/cgroup", "0::/job/step\n"},
                          {"/sys/fs/cgroup/job/step/memory.max", "max\n"},
                          {"/sys/fs/cgroup/job/memory.max", std::to_string(4 * GiB) + "\n"},
                          {"/sys/fs/cgroup/job/memory.current", std::to_string(GiB) + "\n"},
                          {"/sys/fs/cgroup/job/memory.stat", "anon 1\ninactive_file " + std::to_string(GiB / 2) + "\n"},
                          {"/sys/fs/cgroup/memory.max", std::to_string(64 * GiB) + "\n"}});
  MemoryRoom const r = available_memory(read);
  CHECK(r.bytes == 4 * GiB - GiB / 2);  // page cache that can be dropped does not count as used
  CHECK(r.source == "/sys/fs/cgroup/job/memory.max");
}

TEST_CASE("available memory: a cgroup v1 limit; nothing readable gives unknown", "[memory_guard]") {
  auto const read = fake({{"/proc/meminfo", "MemAvailable:   24000000 kB\n"},
                          {"/proc/self/cgroup", "7:cpu,cpuacct:/x\n4:memory:/x\n"},
                          {"/sys/fs/cgroup/memory/x/memory.limit_in_bytes", std::to_string(2 * GiB)},
                          {"/sys/fs/cgroup/memory/x/memory.usage_in_bytes", std::to_string(3 * GiB)}});
  MemoryRoom const r = available_memory(read);
  CHECK(r.bytes == 0);  // over the limit already
  CHECK(r.source == "/sys/fs/cgroup/memory/x/memory.limit_in_bytes");
  CHECK(available_memory(fake({})).bytes == -1);
  CHECK(available_memory(fake({{"/proc/self/cgroup", "0::relative\n"}})).bytes == -1);  // odd path: no throw
}

TEST_CASE("available memory on this machine is positive", "[memory_guard]") {
  CHECK(available_memory().bytes > 0);
}

// Issue 12: buffers (freqs_cis) are replicated on every rank and stay float32,
// so neither more ranks nor bfloat16 divide them; the advice must say so.
TEST_CASE("the advice counts the replicated buffers that sharding cannot divide", "[memory_guard]") {
  // 2 ranks on a 64 GiB node; 40 GiB of float32 parameters (10 Gi params) and
  // 10 GiB of buffers on each rank: 2 x (20 + 10) GiB planned does not fit.
  ModelMemory m{10 * GiB, DType::float32, 2, 10 * GiB};
  MemoryVerdict const v = judge_memory(node(2, 2 * (20 * GiB + 10 * GiB), 64 * GiB), m);
  REQUIRE_FALSE(v.fits);
  // Each rank has ~29.9 GiB for its share; 10 GiB of it is buffers, so the
  // parameters need 3 ranks (not the 2 that dividing all bytes would claim).
  CHECK_THAT(v.message, Catch::Contains("at float32 it needs about 3 ranks with 2 per node (2 nodes like this one)"));
  CHECK_THAT(v.message, Catch::Contains("in bfloat16 (--set run.dtype=bfloat16) it fits on these 2 ranks"));
  CHECK_THAT(v.message, !Catch::Contains("float32 it fits"));

  // Buffers alone larger than a rank's share: no rank count and no dtype helps.
  ModelMemory const huge{6 * MiB, DType::float32, 1, 40 * GiB};
  MemoryVerdict const w = judge_memory(node(1, 40 * GiB + 24 * MiB, 30 * GiB), huge);
  REQUIRE_FALSE(w.fits);
  CHECK_THAT(w.message, Catch::Contains("at float32 no rank count is enough: every rank holds its own copy of the "
                                        "buffers (40.00 GiB"));
  CHECK_THAT(w.message, Catch::Contains("bfloat16 would not help"));
  CHECK_THAT(w.message, !Catch::Contains("fits on this rank"));
}

TEST_CASE("a phase's work is counted, and the advice says what of it fits (issue 19)", "[memory_guard]") {
  // Two ranks with 1 GiB of model each and 6 GiB of forward work each, on 8 GiB.
  NodeMemory n = node(2, 14 * GiB, 8 * GiB);
  n.work_bytes = 12 * GiB;
  n.terms = {{"parameters and buffers", 2 * GiB, {}},
             {"forward pass", 12 * GiB, {{"activations", 8 * GiB}, {"logits", 4 * GiB}, {"logits dump", 0}}}};
  double room_seen = -1;
  MemoryVerdict const v = judge_memory(n, model(268435456, DType::float32, 2), [&](double room) {
    room_seen = room;
    return std::string("at most forward.batch = 7 fits");
  });
  REQUIRE_FALSE(v.fits);
  // What each rank may hold for its work: (8 GiB - 2 x 256 MiB) x 16/17 - 2 GiB of model, over 2 ranks.
  double const expected_room = ((8.0 * GiB - 512.0 * MiB) * 16 / 17 - 2.0 * GiB) / 2;
  CHECK(room_seen == Approx(expected_room).epsilon(1e-12));
  CHECK_THAT(v.message, Catch::Contains("14.00 GiB planned at float32: parameters and buffers 2.00 GiB, forward pass "
                                        "12.00 GiB (activations 8.00 GiB, logits 4.00 GiB), plus"));
  CHECK_THAT(v.message, Catch::EndsWith("the model fits, its work does not: at most forward.batch = 7 fits"));

  // When the model itself does not fit, the rank advice is for the model, and says so.
  NodeMemory big = node(2, 40 * GiB, 8 * GiB);
  big.work_bytes = 4 * GiB;
  big.terms = {{"parameters and buffers", 36 * GiB, {}}, {"forward pass", 4 * GiB, {}}};
  MemoryVerdict const w = judge_memory(big, model(36 * GiB / 4, DType::float32, 2), [](double) { return std::string("x"); });
  CHECK_THAT(w.message, Catch::Contains("(for the model alone: the forward pass comes on top)"));
  CHECK_THAT(w.message, !Catch::Contains("its work does not"));
}
