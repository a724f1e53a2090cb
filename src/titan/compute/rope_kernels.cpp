#include "titan/compute/rope_kernels.hpp"

namespace titan {

namespace {
using Range = Kokkos::RangePolicy<ExecSpace>;
}

void rope_to_heads(FMat x, std::int64_t heads, std::int64_t hd, std::int64_t T, FreqsView freqs, RopeStyle style,
                   bool apply, F4 out) {
  std::int64_t const n_rows = x.extent(0), half = hd / 2;
  if (n_rows == 0) return;
  bool const interleaved = style == RopeStyle::interleaved;
  Kokkos::parallel_for("compute:rope", Range(0, n_rows * heads * half), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const j = i % half, h = (i / half) % heads, n = i / (half * heads);
    std::int64_t const b = n / T, t = n % T;
    // The two features that rotate together and where they sit in the head.
    std::int64_t const i0 = interleaved ? 2 * j : j, i1 = interleaved ? 2 * j + 1 : j + half;
    float const x0 = x(n, h * hd + i0), x1 = x(n, h * hd + i1);
    if (apply) {
      float const c = freqs(t, j, 0), s = freqs(t, j, 1);
      out(b, h, t, i0) = x0 * c - x1 * s;
      out(b, h, t, i1) = x1 * c + x0 * s;
    } else {
      out(b, h, t, i0) = x0;
      out(b, h, t, i1) = x1;
    }
  });
}

void rope_from_heads_grad(F4 d, std::int64_t T, FreqsView freqs, RopeStyle style, bool apply, FMat dx) {
  std::int64_t const n_rows = dx.extent(0), heads = d.extent(1), hd = d.extent(3), half = hd / 2;
  if (n_rows == 0) return;
  bool const interleaved = style == RopeStyle::interleaved;
  Kokkos::parallel_for("compute:rope_grad", Range(0, n_rows * heads * half), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const j = i % half, h = (i / half) % heads, n = i / (half * heads);
    std::int64_t const b = n / T, t = n % T;
    std::int64_t const i0 = interleaved ? 2 * j : j, i1 = interleaved ? 2 * j + 1 : j + half;
    float const d0 = d(b, h, t, i0), d1 = d(b, h, t, i1);
    if (apply) {  // out0 = x0 c - x1 s, out1 = x1 c + x0 s: the transpose of the rotation
      float const c = freqs(t, j, 0), s = freqs(t, j, 1);
      dx(n, h * hd + i0) = d0 * c + d1 * s;
      dx(n, h * hd + i1) = d1 * c - d0 * s;
    } else {
      dx(n, h * hd + i0) = d0;
      dx(n, h * hd + i1) = d1;
    }
  });
}

void heads_to_rows(F4 heads, FMat out) {
  std::int64_t const n_seq = heads.extent(0), H = heads.extent(1), T = heads.extent(2), w = heads.extent(3);
  if (n_seq * T * H * w == 0) return;
  Kokkos::parallel_for("compute:heads_to_rows", Range(0, n_seq * T * H * w), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const e = i % w, h = (i / w) % H, n = i / (w * H);
    out(n, h * w + e) = heads(n / T, h, n % T, e);
  });
}

void rows_to_heads(FMat rows, F4 out) {
  std::int64_t const n_seq = out.extent(0), H = out.extent(1), T = out.extent(2), w = out.extent(3);
  if (n_seq * T * H * w == 0) return;
  Kokkos::parallel_for("compute:rows_to_heads", Range(0, n_seq * T * H * w), KOKKOS_LAMBDA(std::int64_t i) {
    std::int64_t const e = i % w, h = (i / w) % H, n = i / (w * H);
    out(n / T, h, n % T, e) = rows(n, h * w + e);
  });
}

}  // namespace titan
