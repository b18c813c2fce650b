// activation_avx2.cpp — the activations (cpu/activation_math.h) on 8-lane vectors: exp from
// vmath_avx2.h, log from the exponent and mantissa bits; the tail is one masked vector.
#include <immintrin.h>

#include <cstdint>

#include <limits>

#include "cpu/activation_math.h"
#include "cpu/avx2/vmath_avx2.h"

namespace fastnn {
namespace {

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
  // log(x) for normal x > 0 (the callers' arguments are >= 1): as the AVX-512 one (activation_avx512.cpp),
  // the exponent and mantissa taken from the bits; inf and NaN are passed through.
  static V log(V x) {
    const __m256i bits = _mm256_castps_si256(x);
    V e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127)));
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
    return select(_mm256_cmp_ps(x, x, _CMP_UNORD_Q), x, select(_mm256_cmp_ps(x, inf, _CMP_EQ_OQ), inf, r));
  }
};

}  // namespace

void activation_f32__avx2(Act act, const ActParams& p, const float* x, float* y, int64_t n, bool stream) {
  if (stream && reinterpret_cast<uintptr_t>(y) % 4 == 0) return act::forward<Avx2, true>(act, p, x, y, n);
  act::forward<Avx2, false>(act, p, x, y, n);
}
void activation_backward_f32__avx2(Act act, const ActParams& p, const float* dy, const float* s, float* dx,
                                   int64_t n, bool stream) {
  if (stream && reinterpret_cast<uintptr_t>(dx) % 4 == 0) return act::backward<Avx2, true>(act, p, dy, s, dx, n);
  act::backward<Avx2, false>(act, p, dy, s, dx, n);
}

}  // namespace fastnn
