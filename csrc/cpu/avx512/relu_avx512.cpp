// relu_avx512.cpp — ReLU on 16-lane AVX-512 vectors; the tail is one masked vector, not a scalar loop.
// max_ps(0, x) keeps NaN and -0.0 exactly as torch's x < 0 ? 0 : x (see relu_avx2.cpp).
// The _nt variants peel with one masked store to 64-byte alignment, then store non-temporally, and
// end with sfence (non-temporal stores are not ordered by the thread pool's handshake).
#include <immintrin.h>

#include <cstdint>

#include "cpu/relu.h"

namespace fastnn {
namespace {

__mmask16 first_lanes(int64_t k) { return __mmask16((1u << k) - 1u); }  // k in [0, 16]

// Lanes to store (masked) before a float-aligned dst is 64-byte aligned.
int64_t peel_to_64(const float* dst, int64_t n) {
  const int64_t mis = int64_t(reinterpret_cast<uintptr_t>(dst) % 64);
  if (mis == 0) return 0;
  const int64_t peel = (64 - mis) / 4;
  return peel < n ? peel : n;
}

template <bool kStream>
void store(float* p, __m512 v) {
  if constexpr (kStream) _mm512_stream_ps(p, v); else _mm512_storeu_ps(p, v);
}

template <bool kStream>
void relu_avx512(const float* x, float* y, int64_t n) {
  const __m512 zero = _mm512_setzero_ps();
  int64_t i = 0;
  if constexpr (kStream) {
    if (reinterpret_cast<uintptr_t>(y) % 4 != 0) return relu_avx512<false>(x, y, n);
    i = peel_to_64(y, n);
    if (i) _mm512_mask_storeu_ps(y, first_lanes(i), _mm512_max_ps(zero, _mm512_maskz_loadu_ps(first_lanes(i), x)));
  }
  for (; i + 64 <= n; i += 64) {
    const __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
    const __m512 c = _mm512_loadu_ps(x + i + 32), d = _mm512_loadu_ps(x + i + 48);
    store<kStream>(y + i, _mm512_max_ps(zero, a));
    store<kStream>(y + i + 16, _mm512_max_ps(zero, b));
    store<kStream>(y + i + 32, _mm512_max_ps(zero, c));
    store<kStream>(y + i + 48, _mm512_max_ps(zero, d));
  }
  for (; i + 16 <= n; i += 16) store<kStream>(y + i, _mm512_max_ps(zero, _mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = first_lanes(n - i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_max_ps(zero, _mm512_maskz_loadu_ps(m, x + i)));
  }
  if constexpr (kStream) _mm_sfence();
}

template <bool kStream>
void relu_backward_avx512(const float* dy, const float* y, float* dx, int64_t n) {
  const __m512 zero = _mm512_setzero_ps();
  // keep = !(y <= 0): true for y > 0 and for NaN (unordered), as torch's threshold_backward
  auto masked = [&](int64_t at, __mmask16 m) {
    const __mmask16 keep = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, y + at), zero, _CMP_NLE_UQ);
    _mm512_mask_storeu_ps(dx + at, m, _mm512_maskz_mov_ps(keep, _mm512_maskz_loadu_ps(m, dy + at)));
  };
  int64_t i = 0;
  if constexpr (kStream) {
    if (reinterpret_cast<uintptr_t>(dx) % 4 != 0) return relu_backward_avx512<false>(dy, y, dx, n);
    i = peel_to_64(dx, n);
    if (i) masked(0, first_lanes(i));
  }
  for (; i + 16 <= n; i += 16) {
    const __mmask16 keep = _mm512_cmp_ps_mask(_mm512_loadu_ps(y + i), zero, _CMP_NLE_UQ);
    store<kStream>(dx + i, _mm512_maskz_mov_ps(keep, _mm512_loadu_ps(dy + i)));
  }
  if (i < n) masked(i, first_lanes(n - i));
  if constexpr (kStream) _mm_sfence();
}

}  // namespace

void relu_f32__avx512(const float* x, float* y, int64_t n) { relu_avx512<false>(x, y, n); }
void relu_f32_nt__avx512(const float* x, float* y, int64_t n) { relu_avx512<true>(x, y, n); }
void relu_backward_f32__avx512(const float* dy, const float* y, float* dx, int64_t n) {
  relu_backward_avx512<false>(dy, y, dx, n);
}
void relu_backward_f32_nt__avx512(const float* dy, const float* y, float* dx, int64_t n) {
  relu_backward_avx512<true>(dy, y, dx, n);
}

}  // namespace fastnn
