#include "titan/compute/mla_kernels.hpp"

namespace titan {

namespace {
using Range = Kokkos::RangePolicy<ExecSpace>;
}

void mla_q_to_heads(FMat q, std::int64_t nope, std::int64_t rope, std::int64_t T, FreqsView freqs, F4 qh) {
  std::int64_t const N = q.extent(0), H = qh.extent(1), qk = nope + rope;
  if (N == 0) return;
  Kokkos::parallel_for("compute:mla_q_heads", Range(0, N * H * qk), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const e = i % qk, h = (i / qk) % H, n = i / (qk * H), b = n / T, t = n % T, base = h * qk;
    if (e < nope) {
      qh(b, h, t, e) = q(n, base + e);
    } else {
      std::int64_t const r = e - nope, j = r / 2;
      float const x0 = q(n, base + nope + 2 * j), x1 = q(n, base + nope + 2 * j + 1);
      float const c = freqs(t, j, 0), s = freqs(t, j, 1);
      qh(b, h, t, e) = r % 2 == 0 ? x0 * c - x1 * s : x1 * c + x0 * s;
    }
  });
}

void mla_q_from_heads_grad(F4 dqh, std::int64_t nope, std::int64_t T, FreqsView freqs, FMat dq) {
  std::int64_t const N = dq.extent(0), H = dqh.extent(1), qk = dqh.extent(3);
  if (N == 0) return;
  Kokkos::parallel_for("compute:mla_q_heads_grad", Range(0, N * H * qk), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const e = i % qk, h = (i / qk) % H, n = i / (qk * H), b = n / T, t = n % T, base = h * qk;
    if (e < nope) {
      dq(n, base + e) = dqh(b, h, t, e);
    } else {  // the transposed rotation of the pair (2j, 2j+1)
      std::int64_t const r = e - nope, j = r / 2;
      float const d0 = dqh(b, h, t, nope + 2 * j), d1 = dqh(b, h, t, nope + 2 * j + 1);
      float const c = freqs(t, j, 0), s = freqs(t, j, 1);
      dq(n, base + e) = r % 2 == 0 ? d0 * c + d1 * s : d1 * c - d0 * s;
    }
  });
}

void mla_kv_to_heads(FMat kv, FMat kv_a, std::int64_t kv_lora, std::int64_t nope, std::int64_t T, FreqsView freqs,
                     F4 kh, F4 vh) {
  std::int64_t const N = kv.extent(0), H = kh.extent(1), qk = kh.extent(3), vd = vh.extent(3), width = qk + vd;
  if (N == 0) return;
  Kokkos::parallel_for("compute:mla_kv_heads", Range(0, N * H * width), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const e = i % width, h = (i / width) % H, n = i / (width * H), b = n / T, t = n % T;
    std::int64_t const base = h * (nope + vd);
    if (e < nope) {
      kh(b, h, t, e) = kv(n, base + e);
    } else if (e < qk) {
      std::int64_t const r = e - nope, j = r / 2;
      float const x0 = kv_a(n, kv_lora + 2 * j), x1 = kv_a(n, kv_lora + 2 * j + 1);
      float const c = freqs(t, j, 0), s = freqs(t, j, 1);
      kh(b, h, t, e) = r % 2 == 0 ? x0 * c - x1 * s : x1 * c + x0 * s;
    } else {
      vh(b, h, t, e - qk) = kv(n, base + nope + (e - qk));
    }
  });
}

void mla_kv_from_heads_grad(F4 dkh, F4 dvh, std::int64_t nope, std::int64_t T, FreqsView freqs, FMat dkv, FMat dk_pe) {
  std::int64_t const N = dkv.extent(0), H = dkh.extent(1), qk = dkh.extent(3), vd = dvh.extent(3);
  std::int64_t const rope = qk - nope, width = nope + vd;
  if (N == 0) return;
  Kokkos::parallel_for("compute:mla_kv_heads_grad", Range(0, N * H * width), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const e = i % width, h = (i / width) % H, n = i / (width * H), b = n / T, t = n % T;
    dkv(n, h * width + e) = e < nope ? dkh(b, h, t, e) : dvh(b, h, t, e - nope);
  });
  std::int64_t const half = rope / 2;
  Kokkos::parallel_for("compute:mla_k_pe_grad", Range(0, N * half), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const j = i % half, n = i / half, b = n / T, t = n % T;
    float d0 = 0, d1 = 0;  // heads in order: the same sum on every run
    for (std::int64_t h = 0; h < H; ++h) {
      d0 += dkh(b, h, t, nope + 2 * j);
      d1 += dkh(b, h, t, nope + 2 * j + 1);
    }
    float const c = freqs(t, j, 0), s = freqs(t, j, 1);
    dk_pe(n, 2 * j) = d0 * c + d1 * s;
    dk_pe(n, 2 * j + 1) = d1 * c - d0 * s;
  });
}

}  // namespace titan
