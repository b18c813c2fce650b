// vmath_avx512.h — vectorized math on 16-lane float vectors, for the AVX-512 kernel files only (they are
// the ones compiled with -mavx512f). See cpu/softmax.h for exp's method and accuracy.
#pragma once
#include <immintrin.h>

namespace fastnn::avx512 {

// exp(x) for every lane: NaN stays NaN, x >= 89 gives +inf, x <= -104 gives +0, results below FLT_MIN
// are denormals (gradual underflow through scalef).
inline __m512 exp(__m512 x) {
  // min/max return their second operand when either is NaN: NaN passes both clamps
  x = _mm512_min_ps(_mm512_set1_ps(89.f), _mm512_max_ps(_mm512_set1_ps(-104.f), x));
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);  // ln2's high part is exact in 9 bits
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.f / 5040);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 720));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  return _mm512_scalef_ps(p, k);
}

inline __mmask16 first_lanes(int64_t k) { return k >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << k) - 1u); }

}  // namespace fastnn::avx512
