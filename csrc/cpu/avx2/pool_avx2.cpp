// pool_avx2.cpp — AVX2 pooling kernels (cpu/pool.h). 8 windows per step: 16 floats of each input row are
// split into even and odd columns, the argmax is found with compares and blends (no branches on data),
// and the four gradient streams are interleaved back into the two rows.
#include <immintrin.h>

#include <algorithm>
#include <limits>

#include "cpu/pool.h"

namespace fastnn {
namespace {

// Even and odd elements of p[0..16), each in order.
inline void deinterleave(const float* p, __m256& even, __m256& odd) {
  const __m256 v0 = _mm256_loadu_ps(p), v1 = _mm256_loadu_ps(p + 8);
  // per 128-bit lane: [v0 0 2 | v1 0 2] then 64-bit blocks reordered (0, 2, 1, 3)
  even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0))),
                                                _MM_SHUFFLE(3, 1, 2, 0)));
  odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(3, 1, 3, 1))),
                                               _MM_SHUFFLE(3, 1, 2, 0)));
}

// p[2i] = even[i], p[2i + 1] = odd[i] for i < 8.
inline void interleave(float* p, __m256 even, __m256 odd) {
  const __m256 lo = _mm256_unpacklo_ps(even, odd), hi = _mm256_unpackhi_ps(even, odd);
  _mm256_storeu_ps(p, _mm256_permute2f128_ps(lo, hi, 0x20));
  _mm256_storeu_ps(p + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
}

// v wins against best: greater, or NaN (torch's rule)
inline __m256 wins(__m256 v, __m256 best) {
  return _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

}  // namespace

namespace {

// Windows i..i+7.
inline void eight_windows(const float* r0, const float* r1, const float* g, float* d0, float* d1, int64_t i) {
  {
    __m256 a0, a1, a2, a3;
    deinterleave(r0 + 2 * i, a0, a1);
    deinterleave(r1 + 2 * i, a2, a3);
    const __m256 gv = _mm256_loadu_ps(g + i);
    const __m256 s1 = wins(a1, a0);
    const __m256 b1 = _mm256_blendv_ps(a0, a1, s1);
    const __m256 s2 = wins(a2, b1);
    const __m256 b2 = _mm256_blendv_ps(b1, a2, s2);
    const __m256 s3 = wins(a3, b2);
    // the last winner in window order takes the gradient
    const __m256 w3 = s3, w2 = _mm256_andnot_ps(s3, s2);
    const __m256 w1 = _mm256_andnot_ps(_mm256_or_ps(s2, s3), s1);
    const __m256 w0 = _mm256_andnot_ps(_mm256_or_ps(_mm256_or_ps(s1, s2), s3), gv);
    interleave(d0 + 2 * i, w0, _mm256_and_ps(w1, gv));
    interleave(d1 + 2 * i, _mm256_and_ps(w2, gv), _mm256_and_ps(w3, gv));
  }
}

}  // namespace

// Rows of 8 or more windows end with one overlapping step (windows n-8..n-1: the ones done twice get the
// same values again), so that short rows (14 windows in the MNIST CNN) never fall to scalar code.
void max_pool2x2_backward_f32__avx2(const float* r0, const float* r1, const float* g, float* d0, float* d1,
                                    int64_t n) {
  if (n < 8) {  // a short row (7 windows at 14x14) through padded copies: -inf never wins a window
    alignas(32) float a0[16], a1[16], gv[8] = {}, o0[16], o1[16];
    std::fill(a0, a0 + 16, -std::numeric_limits<float>::infinity());
    std::fill(a1, a1 + 16, -std::numeric_limits<float>::infinity());
    std::copy(r0, r0 + 2 * n, a0);
    std::copy(r1, r1 + 2 * n, a1);
    std::copy(g, g + n, gv);
    eight_windows(a0, a1, gv, o0, o1, 0);
    std::copy(o0, o0 + 2 * n, d0);
    std::copy(o1, o1 + 2 * n, d1);
    return;
  }
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) eight_windows(r0, r1, g, d0, d1, i);
  if (i < n) eight_windows(r0, r1, g, d0, d1, n - 8);
}

}  // namespace fastnn
