// softmax_avx2.cpp — softmax row primitives on 8-lane vectors (cpu/softmax.h): independent accumulators
// per loop, one masked vector for the tail (masked-off lanes read as -inf for the max, are left out of the sum).
#include <immintrin.h>

#include <limits>

#include "cpu/avx2/traits_avx2.h"
#include "cpu/softmax.h"

namespace fastnn {

float row_max_f32__avx2(const float* x, int64_t n) {
  const __m256 lowest = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 m0 = lowest, m1 = lowest, m2 = lowest, m3 = lowest;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
    m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + i + 8));
    m2 = _mm256_max_ps(m2, _mm256_loadu_ps(x + i + 16));
    m3 = _mm256_max_ps(m3, _mm256_loadu_ps(x + i + 24));
  }
  for (; i < n; i += 8) {
    const __m256i m = avx2::first_lanes(n - i);
    m0 = _mm256_max_ps(m0, _mm256_blendv_ps(lowest, _mm256_maskload_ps(x + i, m), _mm256_castsi256_ps(m)));
  }
  return avx2::reduce_max(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
}

float exp_sum_f32__avx2(const float* x, float shift, float* y, int64_t n) {
  const __m256 s = _mm256_set1_ps(shift);
  __m256 a0 = _mm256_setzero_ps(), a1 = a0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 e0 = avx2::Avx2::exp(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
    const __m256 e1 = avx2::Avx2::exp(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), s));
    if (y) {
      _mm256_storeu_ps(y + i, e0);
      _mm256_storeu_ps(y + i + 8, e1);
    }
    a0 = _mm256_add_ps(a0, e0);
    a1 = _mm256_add_ps(a1, e1);
  }
  for (; i < n; i += 8) {
    const __m256i m = avx2::first_lanes(n - i);
    const __m256 e = _mm256_and_ps(avx2::Avx2::exp(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), s)), _mm256_castsi256_ps(m));
    if (y) _mm256_maskstore_ps(y + i, m, e);
    a0 = _mm256_add_ps(a0, e);
  }
  return avx2::reduce_add(_mm256_add_ps(a0, a1));
}

}  // namespace fastnn
