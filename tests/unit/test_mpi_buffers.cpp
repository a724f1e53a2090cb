// [mpi] device_buffers (issue 17 item 5): the deck key, its round trip
// through --print-config's TOML, and the decision table of
// parallel/mpi_buffers.hpp for every build kind, setting and library answer
// (a device build's paths cannot run on this host machine; the decision
// itself can, and the compute code follows device_pointers alone).
#include "titan/config/deck.hpp"
#include "titan/core/errors.hpp"
#include "titan/models/registry.hpp"
#include "titan/compute/mpi_on_buffers.hpp"
#include "titan/parallel/mpi_buffers.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <unistd.h>

using namespace titan;

namespace {

Deck deck_with(std::string const& mpi_table, std::vector<std::string> const& sets = {}) {
  std::string const text = "[model]\nfamily = \"llama3\"\nflavor = \"debugmodel\"\n" + mpi_table;
  return read_deck_text(text, "mpi.toml", sets, deck_families());
}

MpiSettings setting(DeviceBuffers d) {
  MpiSettings s;
  s.device_buffers = d;
  return s;
}

CudaAwarenessProbe said(CudaAwareness a) { return {a, std::string("the library said ") + cuda_awareness_name(a)}; }

}  // namespace

TEST_CASE("[mpi] device_buffers: default auto, the three values, others refused", "[deck][mpi]") {
  CHECK(deck_with("").mpi.device_buffers == DeviceBuffers::automatic);
  CHECK(deck_with("[mpi]\ndevice_buffers = \"on\"\n").mpi.device_buffers == DeviceBuffers::on);
  CHECK(deck_with("[mpi]\ndevice_buffers = \"off\"\n").mpi.device_buffers == DeviceBuffers::off);
  CHECK(deck_with("", {"mpi.device_buffers=auto"}).mpi.device_buffers == DeviceBuffers::automatic);
  CHECK(deck_with("[mpi]\ndevice_buffers = \"on\"\n").mpi.device_buffers_where == "mpi.toml:5:18: [mpi]");
  CHECK_THROWS_WITH(deck_with("[mpi]\ndevice_buffers = \"true\"\n"),
                    Catch::Contains("mpi.toml:5:18: [mpi] device_buffers = 'true' is not known (use 'auto', 'on' or 'off')"));
  CHECK_THROWS_WITH(deck_with("[mpi]\ndevice_buffers = true\n"), Catch::Contains("device_buffers must be a string"));
  CHECK_THROWS_WITH(deck_with("[mpi]\ncuda_aware = true\n"), Catch::Contains("[mpi] unknown key 'cuda_aware'"));
}

TEST_CASE("[mpi] round-trips through --print-config's TOML", "[deck][mpi]") {
  for (char const* v : {"auto", "on", "off"}) {
    Deck const d = deck_with("", {std::string("mpi.device_buffers=") + v});
    std::string const text = resolved_deck_toml(d);
    CHECK_THAT(text, Catch::Contains(std::string("[mpi]\ndevice_buffers = '") + v + "'"));
    Deck const again = read_deck_text(text, "resolved.toml", {}, deck_families());
    CHECK(again.mpi.device_buffers == d.mpi.device_buffers);
    std::string const printed_again = resolved_deck_toml(again);
    CHECK(printed_again.substr(printed_again.find('\n')) == text.substr(text.find('\n')));  // all but the path line
  }
}

TEST_CASE("a host build passes host memory whatever the setting and the library", "[mpi]") {
  for (DeviceBuffers d : {DeviceBuffers::automatic, DeviceBuffers::on, DeviceBuffers::off})
    for (CudaAwareness a : {CudaAwareness::no, CudaAwareness::unknown, CudaAwareness::yes}) {
      MpiBufferChoice const c = decide_mpi_buffers(setting(d), ComputeMemory::host, said(a));
      CHECK_FALSE(c.device_pointers);
      CHECK(c.summary == "host memory");
      CHECK(c.warning.empty());
      CHECK(c.detected == a);  // still reported
    }
}

TEST_CASE("a CUDA build: auto follows the library, off stages, on is refused by a library that says no", "[mpi]") {
  auto cuda = [](DeviceBuffers d, CudaAwareness a) { return decide_mpi_buffers(setting(d), ComputeMemory::cuda, said(a)); };
  CHECK(cuda(DeviceBuffers::automatic, CudaAwareness::yes).device_pointers);
  CHECK(cuda(DeviceBuffers::automatic, CudaAwareness::yes).summary == "device pointers (CUDA-aware MPI detected)");
  CHECK_FALSE(cuda(DeviceBuffers::automatic, CudaAwareness::no).device_pointers);
  CHECK_FALSE(cuda(DeviceBuffers::automatic, CudaAwareness::unknown).device_pointers);
  CHECK_THAT(cuda(DeviceBuffers::automatic, CudaAwareness::no).summary,
             Catch::StartsWith("staged through host (CUDA-aware MPI not detected: the library said no"));
  for (CudaAwareness a : {CudaAwareness::no, CudaAwareness::unknown, CudaAwareness::yes}) {
    CHECK_FALSE(cuda(DeviceBuffers::off, a).device_pointers);
    CHECK(cuda(DeviceBuffers::off, a).summary == "staged through host (device_buffers = \"off\")");
  }
  CHECK(cuda(DeviceBuffers::on, CudaAwareness::yes).device_pointers);
  CHECK(cuda(DeviceBuffers::on, CudaAwareness::yes).warning.empty());
  // The library cannot tell: the user's word is taken, with a warning.
  MpiBufferChoice const unverified = cuda(DeviceBuffers::on, CudaAwareness::unknown);
  CHECK(unverified.device_pointers);
  CHECK_THAT(unverified.warning, Catch::Contains("the library said unknown") && Catch::Contains("device pointers"));
  // It says no: a clear input error naming what was detected.
  MpiSettings on = setting(DeviceBuffers::on);
  on.device_buffers_where = "deck.toml:7:18: [mpi]";
  CHECK_THROWS_AS(decide_mpi_buffers(on, ComputeMemory::cuda, said(CudaAwareness::no)), InputError);
  CHECK_THROWS_WITH(decide_mpi_buffers(on, ComputeMemory::cuda, said(CudaAwareness::no)),
                    Catch::StartsWith("deck.toml:7:18: [mpi] device_buffers = \"on\", but this MPI is not CUDA-aware "
                                      "(the library said no)"));
}

TEST_CASE("another device backend: CUDA awareness does not apply, auto stages", "[mpi]") {
  MpiBufferChoice const a = decide_mpi_buffers(setting(DeviceBuffers::automatic), ComputeMemory::other_device,
                                               said(CudaAwareness::yes));
  CHECK_FALSE(a.device_pointers);
  MpiBufferChoice const on = decide_mpi_buffers(setting(DeviceBuffers::on), ComputeMemory::other_device,
                                                said(CudaAwareness::no));
  CHECK(on.device_pointers);
  CHECK_FALSE(on.warning.empty());
}

TEST_CASE("the probe answers what this library's headers say", "[mpi]") {
  CudaAwarenessProbe const p = probe_cuda_aware_mpi();
  CHECK_FALSE(p.how.empty());
#if defined(OPEN_MPI) && OPEN_MPI
  CHECK(p.answer != CudaAwareness::unknown);  // Open MPI has mpi-ext.h; ompi_info is compared in app.mpi_device_buffers
#endif
}

// The staging path runs on a device build only; here it is called directly
// on host memory with a stand-in for the MPI call, which must see the stage's
// copies (not the caller's buffers) and whose output must come back.
TEST_CASE("staging through host copies: send copied in, recv copied back, in place too", "[mpi]") {
  std::vector<float> stage;
  View1<float> send("send", 5), recv("recv", 3);
  auto hsend = Kokkos::create_mirror_view(send);
  for (int i = 0; i < 5; ++i) hsend(i) = static_cast<float>(i + 1);
  Kokkos::deep_copy(send, hsend);
  bool seen = false;
  mpi_via_host_stage(send.data(), 5, recv.data(), 3, stage, [&](float const* s, float* r) {
    seen = true;
    CHECK(s == stage.data());
    CHECK(r == stage.data() + 5);
    CHECK(s[4] == 5.0f);
    for (int i = 0; i < 3; ++i) r[i] = s[i] + s[i + 2];  // what a collective would write
  });
  CHECK(seen);
  auto hrecv = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), recv);
  CHECK(hrecv(0) == 4.0f);
  CHECK(hrecv(1) == 6.0f);
  CHECK(hrecv(2) == 8.0f);

  View1<double> v("v", 4);
  Kokkos::deep_copy(v, 2.0);
  std::vector<double> dstage;
  mpi_via_host_stage(v.data(), 4, v.data(), 4, dstage, [&](double const* s, double* r) {
    CHECK(static_cast<void const*>(s) == static_cast<void const*>(r));  // in place: one host copy
    CHECK(r != v.data());
    for (int i = 0; i < 4; ++i) r[i] *= 3.0;
  });
  auto hv = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
  for (int i = 0; i < 4; ++i) CHECK(hv(i) == 6.0);
  // The dispatcher on a host build hands the buffers themselves over.
  mpi_on_buffers(false, v.data(), 4, v.data(), 4, dstage, [&](double const* s, double* r) {
    CHECK(s == v.data());
    CHECK(r == v.data());
  });
}
