// gemm_avx512.cpp — AVX-512 GEMM micro-kernel (14x32).
// 14x32: 28 zmm accumulators + 2 B vectors + 1 broadcast of A = 31 of the 32 zmm registers; per k step
// 28 FMAs against 2 loads and 14 broadcasts. Partial tiles use masked loads and stores. Packing is the
// AVX2 routine (every AVX-512 CPU has AVX2; the packing is memory-bound, wider vectors gain nothing).
#include <immintrin.h>

#include "cpu/gemm.h"

namespace fastnn {
namespace {

constexpr int kMR = 14, kNR = 32;

void ukernel_14x32(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t m, int64_t n,
                   const GemmTile<float>& t) {
  __m512 acc[kMR][2];
#pragma GCC unroll 14
  for (int i = 0; i < kMR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, a += kMR, b += kNR) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 14
    for (int i = 0; i < kMR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  // Column masks for a partial tile (n < 32); rows past m are simply not stored.
  const __mmask16 mask0 = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  const __mmask16 mask1 = n >= 32 ? __mmask16(0xFFFF) : n <= 16 ? __mmask16(0) : __mmask16((1u << (n - 16)) - 1);
  const __m512 alpha = _mm512_set1_ps(t.alpha), beta = _mm512_set1_ps(t.beta), zero = _mm512_setzero_ps();
  const bool scale = t.alpha != 1.f, accumulate = t.beta != 0.f;
  const __m512 bn0 = t.bias_n ? _mm512_maskz_loadu_ps(mask0, t.bias_n) : zero;
  const __m512 bn1 = t.bias_n ? _mm512_maskz_loadu_ps(mask1, t.bias_n + 16) : zero;
  // Constant trip counts, fully unrolled: acc must be indexed by constants to stay in registers.
#pragma GCC unroll 14
  for (int i = 0; i < kMR; ++i) {
    if (i >= m) break;
    float* ci = c + i * ldc;
    const __mmask16 masks[2] = {mask0, mask1};
    const __m512 bias_n[2] = {bn0, bn1};
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      __m512 v = scale ? _mm512_mul_ps(acc[i][h], alpha) : acc[i][h];
      if (accumulate) v = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(masks[h], ci + 16 * h), v);
      if (t.bias_m) v = _mm512_add_ps(v, _mm512_set1_ps(t.bias_m[i]));
      if (t.bias_n) v = _mm512_add_ps(v, bias_n[h]);
      if (t.relu) v = _mm512_max_ps(zero, v);  // NaN passes (max returns its second operand)
      _mm512_mask_storeu_ps(ci + 16 * h, masks[h], v);
    }
  }
}

}  // namespace

// KC 384: a 384x32 B micro-panel (48 KiB) in L1 (48 KiB on recent Xeons) and L2's front; MC 280 x KC 384
// A block = 420 KiB of a 2 MiB L2; NC 3072 x KC 384 B panel = 4.5 MiB of L3.
const GemmConfig<float> gemm_f32_ukernel_14x32__avx512 = {kMR, kNR, 384, 280, 3072, ukernel_14x32,
                                                          gemm_pack_f32__avx2};

}  // namespace fastnn
