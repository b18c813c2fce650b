// relu_avx512.cpp — ReLU on 16-lane AVX-512 vectors; the tail is one masked vector, not a scalar loop.
// max_ps(0, x) keeps NaN and -0.0 exactly as torch's x < 0 ? 0 : x (see relu_avx2.cpp).
#include <immintrin.h>

#include "cpu/relu.h"

namespace fastnn {

void relu_f32__avx512(const float* x, float* y, int64_t n) {
  const __m512 zero = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
    const __m512 c = _mm512_loadu_ps(x + i + 32), d = _mm512_loadu_ps(x + i + 48);
    _mm512_storeu_ps(y + i, _mm512_max_ps(zero, a));
    _mm512_storeu_ps(y + i + 16, _mm512_max_ps(zero, b));
    _mm512_storeu_ps(y + i + 32, _mm512_max_ps(zero, c));
    _mm512_storeu_ps(y + i + 48, _mm512_max_ps(zero, d));
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_max_ps(zero, _mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = __mmask16((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, m, _mm512_max_ps(zero, _mm512_maskz_loadu_ps(m, x + i)));
  }
}

void relu_backward_f32__avx512(const float* dy, const float* y, float* dx, int64_t n) {
  const __m512 zero = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __mmask16 keep = _mm512_cmp_ps_mask(_mm512_loadu_ps(y + i), zero, _CMP_NLE_UQ);
    _mm512_storeu_ps(dx + i, _mm512_maskz_mov_ps(keep, _mm512_loadu_ps(dy + i)));
  }
  if (i < n) {
    const __mmask16 m = __mmask16((1u << (n - i)) - 1u);
    const __mmask16 keep = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, y + i), zero, _CMP_NLE_UQ);
    _mm512_mask_storeu_ps(dx + i, m, _mm512_maskz_mov_ps(keep, _mm512_maskz_loadu_ps(m, dy + i)));
  }
}

}  // namespace fastnn
