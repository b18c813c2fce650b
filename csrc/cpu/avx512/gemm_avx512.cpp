// gemm_avx512.cpp — AVX-512 GEMM micro-kernels: an MR x (16 * NV) tile of C in MR * NV zmm accumulators.
// Per k step: NV vector loads of B, MR broadcasts of A, MR * NV FMAs. Partial tiles (m < MR, n < NR)
// use masked loads and stores. Packing is the AVX2 routine (every AVX-512 CPU has AVX2; packing is
// memory-bound, wider vectors gain nothing).
// Tiles: 6x64 (24 accumulators + 4 B + 1 broadcast = 29 of 32 zmm; 24 FMAs per 10 loads), the fastest in
// a sweep of 14x32, 12x32, 8x48, 8x32 and 6x64 (each ~254 GFLOP/s alone from L1, 95% of one core's peak;
// 6x64 best or near best inside the GEMM at every benchmarked shape), and 14x32 (28 + 2 + 1).
#include <immintrin.h>

#include "cpu/gemm.h"

namespace fastnn {
namespace {

inline __mmask16 lanes(int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }

template <int MR, int NV>
void ukernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t m, int64_t n,
             const GemmTile<float>& t) {
  constexpr int NR = 16 * NV;
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  // The C tile is read and written after the k loop: fetch its lines now so that their latency (C is
  // usually far from L1) overlaps the arithmetic instead of following it.
  for (int64_t i = 0; i < m; ++i)
    for (int v = 0; v < NV; ++v) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16 * v), _MM_HINT_T0);
  for (int64_t k = 0; k < kc; ++k, a += MR, b += NR) {
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  }
  __mmask16 mask[NV];
  __m512 bias_n[NV];
  const __m512 alpha = _mm512_set1_ps(t.alpha), beta = _mm512_set1_ps(t.beta), zero = _mm512_setzero_ps();
  const bool scale = t.alpha != 1.f, accumulate = t.beta != 0.f;
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    mask[v] = lanes(n - 16 * v);
    bias_n[v] = t.bias_n ? _mm512_maskz_loadu_ps(mask[v], t.bias_n + 16 * v) : zero;
  }
  // Constant trip counts, fully unrolled: acc must be indexed by constants to stay in registers.
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    if (i >= m) break;
    float* ci = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      __m512 r = scale ? _mm512_mul_ps(acc[i][v], alpha) : acc[i][v];
      if (accumulate) r = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(mask[v], ci + 16 * v), r);
      if (t.bias_m) r = _mm512_add_ps(r, _mm512_set1_ps(t.bias_m[i]));
      if (t.bias_n) r = _mm512_add_ps(r, bias_n[v]);
      if (t.relu) r = _mm512_max_ps(zero, r);  // NaN passes (max returns its second operand)
      _mm512_mask_storeu_ps(ci + 16 * v, mask[v], r);
    }
  }
}


}  // namespace

// 4 rows of A x 4 rows of B, 16 k per vector: 16 accumulators, 8 loads per 16 FMAs; the last partial
// vector of k is a masked load.
void gemm_dot_f32__avx512(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                          int64_t ldc, int64_t m, int64_t n, const GemmTile<float>& t) {
  const float* ar[4];
  const float* br[4];
  gemm_dot_rows_f32(a, lda, b, ldb, m, n, ar, br);
  __m512 acc[4][4];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) acc[i][j] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; k += 16) {
    const __mmask16 mask = lanes(kc - k);
    __m512 x[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) x[i] = _mm512_maskz_loadu_ps(mask, ar[i] + k);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const __m512 w = _mm512_maskz_loadu_ps(mask, br[j] + k);
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) acc[i][j] = _mm512_fmadd_ps(x[i], w, acc[i][j]);
    }
  }
  float r[4][4];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    __m128 q[4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(acc[i][j]), _mm512_extractf32x8_ps(acc[i][j], 1));
      q[j] = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    }
    // hadd(hadd(q0, q1), hadd(q2, q3)) = the four horizontal sums, in order
    _mm_storeu_ps(r[i], _mm_hadd_ps(_mm_hadd_ps(q[0], q[1]), _mm_hadd_ps(q[2], q[3])));
  }
  gemm_store_dot_tile_f32(r, c, ldc, m, n, t);
}

// Blocking measured, not derived (2 threads, Zen 5 class: L1d 48 KiB, L2 1 MiB per core, 32 MiB L3; a
// KC/MC/NC sweep at 1024^3..4096^3 and the seed layers): KC = 1024 beat 384 by ~8% (85-89% vs 78-80% of
// the FMA ceiling) although a 1024 x 64 B micro-panel (256 KiB) then streams from L2 rather than sitting
// in L1: each K block costs a pass of loads and stores over C, and fewer, longer blocks pay it less often.
// MC 264 x KC 1024 A block = 1 MiB (L2); NC 1536 x KC 1024 B panel = 6 MiB per thread, so both threads'
// panels stay in L3 together (NC 3072 was ~2% slower).
const GemmConfig<float> gemm_f32_ukernel_6x64__avx512 = {6, 64, 1024, 264, 1536, ukernel<6, 4>, gemm_pack_f32__avx2};
// The deepest tile (most accumulators); a few percent behind 6x64 here, kept as the alternative to force.
const GemmConfig<float> gemm_f32_ukernel_14x32__avx512 = {14, 32, 1024, 266, 1536, ukernel<14, 2>,
                                                          gemm_pack_f32__avx2};

}  // namespace fastnn
