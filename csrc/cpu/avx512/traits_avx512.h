// traits_avx512.h — the AVX512 "vector traits" of math/activation_math.h (and the losses built on it), for
// the AVX512 kernel files only (they are the ones compiled for AVX512).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <limits>

#include "cpu/avx512/vmath_avx512.h"
#include "math/erf_table.h"
#include "math/exp_series.h"
#include "math/log_series.h"

namespace fastnn::avx512 {

struct Avx512 {
  using E = float;
  using V = __m512;
  using M = __mmask16;
  static constexpr int64_t L = 16;
  static constexpr bool kLibm = false;
  static V set1(float a) { return _mm512_set1_ps(a); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V load_n(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(avx512::first_lanes(n), p); }
  static void store_n(float* p, V v, int64_t n) { _mm512_mask_storeu_ps(p, avx512::first_lanes(n), v); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V abs(V a) { return _mm512_abs_ps(a); }
  static V sqrt(V a) { return _mm512_sqrt_ps(a); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }  // b where either is NaN
  static M isnan(V a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  static M gt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static M lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M le(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
  static V select(M m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }
  static void stream(float* p, V v) { _mm512_stream_ps(p, v); }
  // lanes before p + lanes is 64-byte aligned (p float-aligned: the entry points check)
  static int64_t lanes_to_alignment(const float* p, int64_t n) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    const int64_t lanes = int64_t(((64 - a % 64) % 64) / 4);
    return lanes < n ? lanes : n;
  }
  static void fence() { _mm_sfence(); }
  static V round(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // exp: math/exp_series.h, then scalef for 2^k (overflow to inf, gradual underflow)
  static V exp(V a) {
    V k;
    const V p = exp_reduced<Avx512>(a, k);
    return _mm512_scalef_ps(p, k);
  }
  // log(x), x >= 0 (denormals included): e and m from getexp/getmant, the rest in math/log_series.h.
  static V log(V x) {
    const V r = log_from_parts<Avx512>(_mm512_getexp_ps(x), _mm512_getmant_ps(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero));
    // getexp(inf) = inf gives inf and NaN propagates through getexp/getmant; 0 (e = -inf meets ln2's two
    // parts of opposite signs: NaN) is set to -inf
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, set1(0.f), _CMP_EQ_OQ), r,
                                set1(-std::numeric_limits<float>::infinity()));
  }
  static float sum(V v) { return _mm512_reduce_add_ps(v); }
  // erf: the interval's polynomial (erf_table.h) picked per lane with permutexvar; sign restored; NaN passes.
  static V erf(V x) {
    const ErfTable& tb = erf_table();
    const V t = _mm512_min_ps(abs(x), set1(4.f));
    const __m512i idx = _mm512_min_epi32(_mm512_cvttps_epi32(mul(t, set1(2.f))), _mm512_set1_epi32(8));
    const V h = sub(t, _mm512_permutexvar_ps(idx, _mm512_load_ps(tb.center)));
    V p = _mm512_permutexvar_ps(idx, _mm512_load_ps(tb.coef[kErfTerms - 1]));
    for (int k = kErfTerms - 2; k >= 0; --k) p = fma(p, h, _mm512_permutexvar_ps(idx, _mm512_load_ps(tb.coef[k])));
    const V r = _mm512_or_ps(p, _mm512_and_ps(x, set1(-0.f)));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), r, x);
  }
};

}  // namespace fastnn::avx512
