// pool_avx2.cpp — AVX2 pooling kernels (cpu/pool.h). 8 windows per step: 16 floats of each input row are
// split into even and odd columns, the argmax is found with compares and blends (no branches on data),
// and the four gradient streams are interleaved back into the two rows.
#include <immintrin.h>

#include "cpu/pool.h"

namespace fastnn {
namespace {

// Even and odd elements of the 16 floats (v0, v1), each in order.
inline void deinterleave(__m256 v0, __m256 v1, __m256& even, __m256& odd) {
  // per 128-bit lane: [v0 0 2 | v1 0 2] then 64-bit blocks reordered (0, 2, 1, 3)
  even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(2, 0, 2, 0))),
                                                _MM_SHUFFLE(3, 1, 2, 0)));
  odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(v0, v1, _MM_SHUFFLE(3, 1, 3, 1))),
                                               _MM_SHUFFLE(3, 1, 2, 0)));
}

// p[2i] = even[i], p[2i + 1] = odd[i] for i < 8, only the lanes of masks (lo: p[0..8), hi: p[8..16)).
template <bool kMasked>
inline void interleave(float* p, __m256 even, __m256 odd, __m256i lo, __m256i hi) {
  const __m256 a = _mm256_unpacklo_ps(even, odd), b = _mm256_unpackhi_ps(even, odd);
  const __m256 first = _mm256_permute2f128_ps(a, b, 0x20), second = _mm256_permute2f128_ps(a, b, 0x31);
  if constexpr (kMasked) {
    _mm256_maskstore_ps(p, lo, first);
    _mm256_maskstore_ps(p + 8, hi, second);
  } else {
    _mm256_storeu_ps(p, first);
    _mm256_storeu_ps(p + 8, second);
  }
}

// v wins against best: greater, or NaN (torch's rule)
inline __m256 wins(__m256 v, __m256 best) {
  return _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

}  // namespace

namespace {

// Lanes 0..n-1 of a vector of 8 (n clamped to [0, 8]).
inline __m256i lanes8(int64_t n) {
  const int live = int(n < 0 ? 0 : n > 8 ? 8 : n);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(live), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Windows i..i+7, of which the first n are real (kMasked: n < 8; masked loads and stores keep the others
// out of memory, and are slow on some CPUs, so whole steps use plain ones). A masked-out lane reads as 0,
// but windows never share lanes, so padding cannot win a real window.
template <bool kMasked>
inline void eight_windows(const float* r0, const float* r1, const float* g, float* d0, float* d1, int64_t i,
                          int64_t n = 8) {
  const __m256i lo = lanes8(2 * n), hi = lanes8(2 * n - 8), gm = lanes8(n);
  auto load = [](const float* p, __m256i m) { return kMasked ? _mm256_maskload_ps(p, m) : _mm256_loadu_ps(p); };
  __m256 a0, a1, a2, a3;
  deinterleave(load(r0 + 2 * i, lo), load(r0 + 2 * i + 8, hi), a0, a1);
  deinterleave(load(r1 + 2 * i, lo), load(r1 + 2 * i + 8, hi), a2, a3);
  const __m256 gv = load(g + i, gm);
  const __m256 s1 = wins(a1, a0);
  const __m256 b1 = _mm256_blendv_ps(a0, a1, s1);
  const __m256 s2 = wins(a2, b1);
  const __m256 b2 = _mm256_blendv_ps(b1, a2, s2);
  const __m256 s3 = wins(a3, b2);
  // the last winner in window order takes the gradient
  const __m256 w3 = s3, w2 = _mm256_andnot_ps(s3, s2);
  const __m256 w1 = _mm256_andnot_ps(_mm256_or_ps(s2, s3), s1);
  const __m256 w0 = _mm256_andnot_ps(_mm256_or_ps(_mm256_or_ps(s1, s2), s3), gv);
  interleave<kMasked>(d0 + 2 * i, w0, _mm256_and_ps(w1, gv), lo, hi);
  interleave<kMasked>(d1 + 2 * i, _mm256_and_ps(w2, gv), _mm256_and_ps(w3, gv), lo, hi);
}

}  // namespace

// Rows of 8 or more windows end with one overlapping step (windows n-8..n-1: the ones done twice get the
// same values again); shorter rows (7 windows at 14x14 in the MNIST CNN) take one masked step.
void max_pool2x2_backward_f32__avx2(const float* r0, const float* r1, const float* g, float* d0, float* d1,
                                    int64_t n) {
  if (n < 8) return eight_windows<true>(r0, r1, g, d0, d1, 0, n);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) eight_windows<false>(r0, r1, g, d0, d1, i);
  if (i < n) eight_windows<false>(r0, r1, g, d0, d1, n - 8);
}

}  // namespace fastnn
