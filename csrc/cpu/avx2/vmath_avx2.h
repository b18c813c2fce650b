// vmath_avx2.h — small 8-lane helpers (lane masks, horizontal sums) for the AVX2 kernel files only (they
// are the ones compiled with -mavx2 -mfma). The vectorized math (exp, log, erf) is in traits_avx2.h.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace fastnn::avx2 {

// Lanes 0..n-1 of a vector of 8 (n clamped to [0, 8]), as a maskload/maskstore mask.
inline __m256i first_lanes(int64_t n) {
  const int live = int(n < 0 ? 0 : n > 8 ? 8 : n);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(live), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline float reduce_add(__m256 v) {
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

inline float reduce_max(__m256 v) {
  const __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 m2 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  return _mm_cvtss_f32(_mm_max_ss(m2, _mm_movehdup_ps(m2)));
}

}  // namespace fastnn::avx2
