// traits_avx2.h — the AVX2 "vector traits" of cpu/activation_math.h (and the losses built on it), for
// the AVX2 kernel files only (they are the ones compiled for AVX2).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <limits>

#include "cpu/avx2/vmath_avx2.h"
#include "cpu/erf_table.h"

namespace fastnn::avx2 {

struct Avx2 {
  using E = float;
  using V = __m256;
  using M = __m256;  // all-ones lanes
  static constexpr int64_t L = 8;
  static constexpr bool kLibm = false;
  static V set1(float a) { return _mm256_set1_ps(a); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V load_n(const float* p, int64_t n) { return _mm256_maskload_ps(p, avx2::first_lanes(n)); }
  static void store_n(float* p, V v, int64_t n) { _mm256_maskstore_ps(p, avx2::first_lanes(n), v); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V abs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.f), a); }
  static M gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static M lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M le(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
  static V select(M m, V a, V b) { return _mm256_blendv_ps(b, a, m); }
  static void stream(float* p, V v) { _mm256_stream_ps(p, v); }
  // lanes before p + lanes is 32-byte aligned (p float-aligned: the entry points check)
  static int64_t lanes_to_alignment(const float* p, int64_t n) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    const int64_t lanes = int64_t(((32 - a % 32) % 32) / 4);
    return lanes < n ? lanes : n;
  }
  static void fence() { _mm_sfence(); }
  static V exp(V a) { return avx2::exp(a); }
  // log(x), x >= 0: the exponent and mantissa from the bits (denormals scaled by 2^23 first), then as the
  // AVX-512 one (traits_avx512.h); 0 -> -inf, inf and NaN pass through.
  static V log(V x) {
    const M tiny = lt(x, set1(std::numeric_limits<float>::min()));
    const V xs = select(tiny, mul(x, set1(8388608.f)), x);
    const __m256i bits = _mm256_castps_si256(xs);
    V e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127)));
    e = select(tiny, sub(e, set1(23.f)), e);
    V m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x7FFFFF)),
                                              _mm256_set1_epi32(0x3F800000)));
    const M big = gt(m, set1(1.41421356f));
    m = select(big, mul(m, set1(0.5f)), m);
    e = select(big, add(e, set1(1.f)), e);
    const V s = div(sub(m, set1(1.f)), add(m, set1(1.f))), s2 = mul(s, s);
    V q = set1(1.f / 11);
    q = fma(q, s2, set1(1.f / 9));
    q = fma(q, s2, set1(1.f / 7));
    q = fma(q, s2, set1(1.f / 5));
    q = fma(q, s2, set1(1.f / 3));
    const V two_s = add(s, s);
    const V logm = fma(mul(two_s, s2), q, two_s);
    const V r = fma(e, set1(0.693359375f), fma(e, set1(-2.12194440e-4f), logm));
    const V inf = set1(std::numeric_limits<float>::infinity());
    const V special = select(_mm256_cmp_ps(x, inf, _CMP_EQ_OQ), inf, select(_mm256_cmp_ps(x, set1(0.f), _CMP_EQ_OQ), sub(set1(0.f), inf), r));
    return select(_mm256_cmp_ps(x, x, _CMP_UNORD_Q), x, special);
  }
  static float sum(V v) { return avx2::reduce_add(v); }
  // erf: the interval's polynomial (erf_table.h, intervals 0-7) picked per lane with permutevar8x32; 1 from
  // t = 4 on; sign restored; NaN passes.
  static V erf(V x) {
    const ErfTable& tb = erf_table();
    const V ax = abs(x);
    const V t = _mm256_min_ps(ax, set1(3.99999976f));
    const __m256i idx = _mm256_cvttps_epi32(mul(t, set1(2.f)));
    const V h = sub(t, _mm256_permutevar8x32_ps(_mm256_load_ps(tb.center), idx));
    V p = _mm256_permutevar8x32_ps(_mm256_load_ps(tb.coef[kErfTerms - 1]), idx);
    for (int k = kErfTerms - 2; k >= 0; --k) p = fma(p, h, _mm256_permutevar8x32_ps(_mm256_load_ps(tb.coef[k]), idx));
    p = select(lt(ax, set1(4.f)), p, set1(1.f));
    const V r = _mm256_or_ps(p, _mm256_and_ps(x, set1(-0.f)));
    return select(_mm256_cmp_ps(x, x, _CMP_UNORD_Q), x, r);
  }
};

}  // namespace fastnn::avx2
