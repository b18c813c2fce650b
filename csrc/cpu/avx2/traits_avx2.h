// traits_avx2.h — the AVX2 "vector traits" of math/activation_math.h (and the losses built on it), for
// the AVX2 kernel files only (they are the ones compiled for AVX2).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <limits>

#include "cpu/avx2/vmath_avx2.h"
#include "math/erf_table.h"
#include "math/exp_series.h"
#include "math/log_series.h"

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
  static V sqrt(V a) { return _mm256_sqrt_ps(a); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }  // b where either is NaN
  static M isnan(V a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
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
  static V round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // exp: math/exp_series.h, then 2^k = 2^k1 * 2^k2 (k1 = floor(k / 2)) built from exponent bits: both factors
  // normal for k in [-150, 129], so results below FLT_MIN round to denormals in the last multiply
  static V exp(V a) {
    V k;
    const V p = exp_reduced<Avx2>(a, k);
    const __m256i ki = _mm256_cvtps_epi32(k), k1 = _mm256_srai_epi32(ki, 1), k2 = _mm256_sub_epi32(ki, k1);
    const __m256i bias = _mm256_set1_epi32(127);
    const V s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));
    const V s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, bias), 23));
    return mul(mul(p, s1), s2);
  }
  // log(x), x >= 0: the exponent and mantissa from the bits (denormals scaled by 2^23 first), the rest in
  // math/log_series.h; 0 -> -inf, inf and NaN pass through.
  static V log(V x) {
    const M tiny = lt(x, set1(std::numeric_limits<float>::min()));
    const V xs = select(tiny, mul(x, set1(8388608.f)), x);
    const __m256i bits = _mm256_castps_si256(xs);
    V e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127)));
    e = select(tiny, sub(e, set1(23.f)), e);
    const V m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x7FFFFF)),
                                                    _mm256_set1_epi32(0x3F800000)));
    const V r = log_from_parts<Avx2>(e, m);
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
