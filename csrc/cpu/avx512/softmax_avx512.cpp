// softmax_avx512.cpp — softmax row primitives on 16-lane vectors (cpu/softmax.h): four independent
// accumulators per loop (the adds and maxes are latency-bound otherwise), one masked vector for the tail.
#include <immintrin.h>

#include <limits>

#include "cpu/avx512/traits_avx512.h"
#include "cpu/softmax.h"

namespace fastnn {

float row_max_f32__avx512(const float* x, int64_t n) {
  const __m512 lowest = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 m0 = lowest, m1 = lowest, m2 = lowest, m3 = lowest;
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
    m1 = _mm512_max_ps(m1, _mm512_loadu_ps(x + i + 16));
    m2 = _mm512_max_ps(m2, _mm512_loadu_ps(x + i + 32));
    m3 = _mm512_max_ps(m3, _mm512_loadu_ps(x + i + 48));
  }
  for (; i < n; i += 16) m0 = _mm512_max_ps(m0, _mm512_mask_loadu_ps(lowest, avx512::first_lanes(n - i), x + i));
  return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
}

float exp_sum_f32__avx512(const float* x, float shift, float* y, int64_t n) {
  const __m512 s = _mm512_set1_ps(shift);
  __m512 a0 = _mm512_setzero_ps(), a1 = a0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 e0 = avx512::Avx512::exp(_mm512_sub_ps(_mm512_loadu_ps(x + i), s));
    const __m512 e1 = avx512::Avx512::exp(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), s));
    if (y) {
      _mm512_storeu_ps(y + i, e0);
      _mm512_storeu_ps(y + i + 16, e1);
    }
    a0 = _mm512_add_ps(a0, e0);
    a1 = _mm512_add_ps(a1, e1);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = avx512::first_lanes(n - i);
    const __m512 e = avx512::Avx512::exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
    if (y) _mm512_mask_storeu_ps(y + i, m, e);
    a0 = _mm512_mask_add_ps(a0, m, a0, e);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

}  // namespace fastnn
