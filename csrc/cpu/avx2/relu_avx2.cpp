// relu_avx2.cpp — ReLU on 8-lane AVX2 vectors, 4 vectors per iteration, masked-free scalar tail.
// max_ps(0, x) returns its second operand when x is NaN or when both are zero, which is exactly
// torch's x < 0 ? 0 : x (NaN and -0.0 pass through).
#include <immintrin.h>

#include "cpu/relu.h"

namespace fastnn {

void relu_f32__avx2(const float* x, float* y, int64_t n) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
    const __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
    _mm256_storeu_ps(y + i, _mm256_max_ps(zero, a));
    _mm256_storeu_ps(y + i + 8, _mm256_max_ps(zero, b));
    _mm256_storeu_ps(y + i + 16, _mm256_max_ps(zero, c));
    _mm256_storeu_ps(y + i + 24, _mm256_max_ps(zero, d));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_max_ps(zero, _mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = x[i] < 0.f ? 0.f : x[i];
}

void relu_backward_f32__avx2(const float* dy, const float* y, float* dx, int64_t n) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    // keep = !(y <= 0): true for y > 0 and for NaN (unordered), as torch's threshold_backward
    const __m256 keep = _mm256_cmp_ps(_mm256_loadu_ps(y + i), zero, _CMP_NLE_UQ);
    _mm256_storeu_ps(dx + i, _mm256_and_ps(keep, _mm256_loadu_ps(dy + i)));
  }
  for (; i < n; ++i) dx[i] = y[i] <= 0.f ? 0.f : dy[i];
}

}  // namespace fastnn
