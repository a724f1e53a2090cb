#include "block_harness.hpp"

#include <algorithm>
#include <cmath>

using namespace titan;

namespace titan_test {

namespace {

std::vector<float> to_host(View1<float> const& v) {
  auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), v);
  return std::vector<float>(h.data(), h.data() + h.extent(0));
}

std::vector<float> to_host(Act const& a) {
  auto h = Kokkos::create_mirror_view_and_copy(HostSpace(), a);
  return std::vector<float>(h.data(), h.data() + h.span());
}

std::pair<float, float> range_for(HarnessOptions const& o, std::string const& fqn) {
  for (auto const& [suffix, r] : o.ranges)
    if (fqn.size() >= suffix.size() && fqn.compare(fqn.size() - suffix.size(), suffix.size(), suffix) == 0) return r;
  return o.default_range;
}

double loss(Reference const& ref, Weights const& w, Vec const& x, Vec const& r) {
  Vec const y = ref(w, x);
  REQUIRE(y.size() == r.size());
  double l = 0;
  for (std::size_t i = 0; i < y.size(); ++i) l += r[i] * y[i];
  return l;
}

// Evenly spaced sample of [0, n) with at most k entries (all when n <= k).
std::vector<std::int64_t> sample(std::int64_t n, std::int64_t k) {
  std::vector<std::int64_t> s;
  if (n <= k) {
    for (std::int64_t i = 0; i < n; ++i) s.push_back(i);
    return s;
  }
  for (std::int64_t j = 0; j < k; ++j) s.push_back(j * (n - 1) / (k - 1));
  return s;
}

// Compares titan's gradient `got` of one tensor with finite differences of
// L in `target` (an entry of w.m, or the input x).
void check_gradient(std::string const& what, std::vector<float> const& got, Vec& target, Reference const& ref,
                    Weights const& w, Vec const& x, Vec const& r, HarnessOptions const& o, HarnessResult& res) {
  double max_fd = 0, max_err = 0;
  std::int64_t worst = -1;
  for (std::int64_t i : sample(static_cast<std::int64_t>(target.size()), o.fd_samples)) {
    double const keep = target[static_cast<std::size_t>(i)];
    target[static_cast<std::size_t>(i)] = keep + o.fd_step;
    double const lp = loss(ref, w, x, r);
    target[static_cast<std::size_t>(i)] = keep - o.fd_step;
    double const lm = loss(ref, w, x, r);
    target[static_cast<std::size_t>(i)] = keep;
    double const fd = (lp - lm) / (2 * o.fd_step);
    double const err = std::abs(fd - static_cast<double>(got[static_cast<std::size_t>(i)]));
    max_fd = std::max(max_fd, std::abs(fd));
    if (err > max_err) {
      max_err = err;
      worst = i;
    }
  }
  ++res.tensors_checked;
  if (max_fd > 1e-6) ++res.tensors_nonzero;
  INFO("gradient of " << what << ": max |titan - finite difference| = " << max_err << " (element " << worst
                      << "), max |finite difference| = " << max_fd);
  CHECK(max_err <= o.grad_tolerance * max_fd + 1e-7);
}

}  // namespace

BuildContext one_rank_context() {
  BuildContext c;
  c.mesh = Mesh::resolve(MeshRequest{{1, 1, 1}}, 1);
  c.rank = 0;
  c.dtype = DType::float32;
  c.allocate = true;
  return c;
}

double rope_angle(HarnessOptions const& o, std::int64_t t, std::int64_t j) {
  return static_cast<double>(t) * std::pow(o.theta, -2.0 * static_cast<double>(j) / static_cast<double>(o.rope_dim));
}

std::vector<float> rope_table(HarnessOptions const& o) {
  std::int64_t const half = o.rope_dim / 2;
  std::vector<float> f(static_cast<std::size_t>(o.T * half * 2));
  for (std::int64_t t = 0; t < o.T; ++t)
    for (std::int64_t j = 0; j < half; ++j) {
      f[static_cast<std::size_t>((t * half + j) * 2)] = static_cast<float>(std::cos(rope_angle(o, t, j)));
      f[static_cast<std::size_t>((t * half + j) * 2 + 1)] = static_cast<float>(std::sin(rope_angle(o, t, j)));
    }
  return f;
}

HarnessResult check_layer(Module& module, Reference const& ref, HarnessOptions const& o) {
  auto* layer = dynamic_cast<Layer*>(&module);
  REQUIRE(layer != nullptr);
  std::mt19937 rng(o.seed);
  std::int64_t const N = o.B * o.T, D = o.D;
  Mesh const mesh = Mesh::resolve(MeshRequest{{1, 1, 1}}, 1);

  // ---- parameters and buffers: random values, the same on both sides
  Weights w;
  auto const params = module.parameters();
  std::vector<Parameter const*> raw;
  for (auto const& p : params) {
    auto const [lo, hi] = range_for(o, p->fqn());
    std::uniform_real_distribution<float> u(lo, hi);
    auto h = Kokkos::create_mirror_view(p->f32());
    Vec& dst = w.m[p->fqn()];
    for (std::size_t i = 0; i < h.extent(0); ++i) {
      h(i) = u(rng);
      dst.push_back(h(i));
    }
    Kokkos::deep_copy(p->f32(), h);
    raw.push_back(p.get());
  }
  for (auto const& b : module.buffers()) {
    auto it = o.buffers.find(b->fqn());
    if (it == o.buffers.end()) continue;
    REQUIRE(static_cast<std::size_t>(b->data().extent(0)) == it->second.size());
    auto h = Kokkos::create_mirror_view(b->data());
    for (std::size_t i = 0; i < it->second.size(); ++i) h(i) = it->second[i];
    Kokkos::deep_copy(b->data(), h);
    w.m[b->fqn()] = Vec(it->second.begin(), it->second.end());
  }
  std::uniform_real_distribution<float> ux(-1.0f, 1.0f);
  Act x("x", N, D), r("r", N, D);
  Vec xd, rd;
  {
    auto hx = Kokkos::create_mirror_view(x), hr = Kokkos::create_mirror_view(r);
    for (std::int64_t i = 0; i < N * D; ++i) {
      hx.data()[i] = ux(rng);
      hr.data()[i] = ux(rng);
      xd.push_back(hx.data()[i]);
      rd.push_back(hr.data()[i]);
    }
    Kokkos::deep_copy(x, hx);
    Kokkos::deep_copy(r, hr);
  }
  std::vector<float> const table = rope_table(o);
  Kokkos::View<float***, Layout, MemSpace> freqs("freqs", o.T, o.rope_dim / 2, 2);
  {
    auto h = Kokkos::create_mirror_view(freqs);
    std::copy(table.begin(), table.end(), h.data());
    Kokkos::deep_copy(freqs, h);
  }

  // ---- titan: forward, then backward of L = sum(r * y)
  GradientSet grads(params, mesh, 0);
  WeightStore store(mesh, MPI_COMM_SELF, &grads);
  StepContext ctx(store, MPI_COMM_SELF);
  ctx.n_seq = o.B;
  ctx.T = o.T;
  ctx.freqs = FreqsView(freqs.data(), o.T, o.rope_dim / 2, 2);
  ctx.rope_style = o.rope_style;
  ctx.keep_for_backward = true;
  store.gather(raw);
  store.begin_grads();
  Act const y = layer->forward(ctx, x);
  Act const dx = layer->backward(ctx, r);
  store.reduce_grads();
  store.release();
  Kokkos::fence();

  HarnessResult res;
  res.flops = ctx.fc.flops;
  Vec const yref = ref(w, xd);
  std::vector<float> const got = to_host(y);
  REQUIRE(got.size() == yref.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    res.max_forward_err = std::max(res.max_forward_err, std::abs(yref[i] - got[i]));
    res.max_forward_ref = std::max(res.max_forward_ref, std::abs(yref[i]));
  }
  INFO("forward: max |titan - reference| = " << res.max_forward_err << ", max |reference| = " << res.max_forward_ref);
  CHECK(res.max_forward_ref > 0.1);
  CHECK(res.max_forward_err <= 1e-5 * res.max_forward_ref);

  for (auto const& p : params)
    check_gradient(p->fqn(), to_host(grads.of(*p).f32()), w.m[p->fqn()], ref, w, xd, rd, o, res);
  Vec x_copy = xd;
  std::vector<float> const gx = to_host(dx);
  double max_fd = 0, max_err = 0;
  for (std::int64_t i : sample(N * D, o.fd_samples)) {
    double const keep = x_copy[static_cast<std::size_t>(i)];
    x_copy[static_cast<std::size_t>(i)] = keep + o.fd_step;
    double const lp = loss(ref, w, x_copy, rd);
    x_copy[static_cast<std::size_t>(i)] = keep - o.fd_step;
    double const lm = loss(ref, w, x_copy, rd);
    x_copy[static_cast<std::size_t>(i)] = keep;
    double const fd = (lp - lm) / (2 * o.fd_step);
    max_fd = std::max(max_fd, std::abs(fd));
    max_err = std::max(max_err, std::abs(fd - gx[static_cast<std::size_t>(i)]));
  }
  INFO("gradient of the input: max |titan - finite difference| = " << max_err << ", max |fd| = " << max_fd);
  CHECK(max_fd > 1e-3);
  CHECK(max_err <= o.grad_tolerance * max_fd + 1e-7);
  return res;
}

}  // namespace titan_test
