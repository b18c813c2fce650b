// relu_avx2.cpp — ReLU on 8-lane AVX2 vectors; scalar tail.
// max_ps(0, x) returns its second operand when x is NaN or when both are zero, which is exactly
// torch's x < 0 ? 0 : x (NaN and -0.0 pass through).
// The _nt variants store with non-temporal stores (after a scalar peel to 32-byte alignment) and end
// with sfence, because those stores are not ordered by the thread pool's release/acquire handshake.
#include <immintrin.h>

#include <cstdint>

#include "cpu/relu.h"

namespace fastnn {
namespace {

// Elements to write one by one before a float-aligned dst is 32-byte aligned.
int64_t peel_to_32(const float* dst, int64_t n) {
  const int64_t mis = int64_t(reinterpret_cast<uintptr_t>(dst) % 32);
  const int64_t peel = mis == 0 ? 0 : (32 - mis) / 4;
  return peel < n ? peel : n;
}

template <bool kStream>
void store(float* p, __m256 v) {
  if constexpr (kStream) _mm256_stream_ps(p, v); else _mm256_storeu_ps(p, v);
}

template <bool kStream>
void relu_avx2(const float* x, float* y, int64_t n) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  if constexpr (kStream) {
    if (reinterpret_cast<uintptr_t>(y) % 4 != 0) return relu_avx2<false>(x, y, n);
    for (const int64_t peel = peel_to_32(y, n); i < peel; ++i) y[i] = x[i] < 0.f ? 0.f : x[i];
  }
  for (; i + 32 <= n; i += 32) {
    const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
    const __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
    store<kStream>(y + i, _mm256_max_ps(zero, a));
    store<kStream>(y + i + 8, _mm256_max_ps(zero, b));
    store<kStream>(y + i + 16, _mm256_max_ps(zero, c));
    store<kStream>(y + i + 24, _mm256_max_ps(zero, d));
  }
  for (; i + 8 <= n; i += 8) store<kStream>(y + i, _mm256_max_ps(zero, _mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = x[i] < 0.f ? 0.f : x[i];
  if constexpr (kStream) _mm_sfence();
}

template <bool kStream>
void relu_backward_avx2(const float* dy, const float* y, float* dx, int64_t n) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  if constexpr (kStream) {
    if (reinterpret_cast<uintptr_t>(dx) % 4 != 0) return relu_backward_avx2<false>(dy, y, dx, n);
    for (const int64_t peel = peel_to_32(dx, n); i < peel; ++i) dx[i] = y[i] <= 0.f ? 0.f : dy[i];
  }
  for (; i + 8 <= n; i += 8) {
    // keep = !(y <= 0): true for y > 0 and for NaN (unordered), as torch's threshold_backward
    const __m256 keep = _mm256_cmp_ps(_mm256_loadu_ps(y + i), zero, _CMP_NLE_UQ);
    store<kStream>(dx + i, _mm256_and_ps(keep, _mm256_loadu_ps(dy + i)));
  }
  for (; i < n; ++i) dx[i] = y[i] <= 0.f ? 0.f : dy[i];
  if constexpr (kStream) _mm_sfence();
}

}  // namespace

void relu_f32__avx2(const float* x, float* y, int64_t n) { relu_avx2<false>(x, y, n); }
void relu_f32_nt__avx2(const float* x, float* y, int64_t n) { relu_avx2<true>(x, y, n); }
void relu_backward_f32__avx2(const float* dy, const float* y, float* dx, int64_t n) {
  relu_backward_avx2<false>(dy, y, dx, n);
}
void relu_backward_f32_nt__avx2(const float* dy, const float* y, float* dx, int64_t n) {
  relu_backward_avx2<true>(dy, y, dx, n);
}

}  // namespace fastnn
