// gemm_avx2.cpp — AVX2+FMA GEMM micro-kernel (6x16) and packing routine.
// 6x16: 12 ymm accumulators + 2 B vectors + 1 broadcast of A = 15 of the 16 ymm registers; per k step
// 12 FMAs against 2 loads and 6 broadcasts, so the two FMA pipes, not the load ports, set the pace.
// Partial tiles run the same arithmetic on a 6x16 scratch tile and copy the live part.
#include <immintrin.h>

#include <algorithm>

#include "cpu/gemm.h"

namespace fastnn {
namespace {

constexpr int kMR = 6, kNR = 16;

struct Epilogue {
  __m256 alpha, beta, zero;
  bool scale, accumulate, relu;
  explicit Epilogue(const GemmTile<float>& t)
      : alpha(_mm256_set1_ps(t.alpha)), beta(_mm256_set1_ps(t.beta)), zero(_mm256_setzero_ps()),
        scale(t.alpha != 1.f), accumulate(t.beta != 0.f), relu(t.relu) {}
  // v = act(alpha * acc + beta * c + bias_m + bias_n), stored to c
  void store(__m256 acc, float* c, const float* bias_m, const float* bias_n) const {
    __m256 v = scale ? _mm256_mul_ps(acc, alpha) : acc;
    if (accumulate) v = _mm256_fmadd_ps(beta, _mm256_loadu_ps(c), v);
    if (bias_m) v = _mm256_add_ps(v, _mm256_broadcast_ss(bias_m));
    if (bias_n) v = _mm256_add_ps(v, _mm256_loadu_ps(bias_n));
    if (relu) v = _mm256_max_ps(zero, v);  // NaN passes (max returns its second operand)
    _mm256_storeu_ps(c, v);
  }
};

void ukernel_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t m, int64_t n,
                  const GemmTile<float>& t) {
  __m256 acc[kMR][2];
#pragma GCC unroll 6
  for (int i = 0; i < kMR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  // The C tile is read and written after the k loop: fetch its lines now so that their latency overlaps
  // the arithmetic instead of following it.
  for (int64_t i = 0; i < m; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
  for (int64_t k = 0; k < kc; ++k, a += kMR, b += kNR) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kMR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  const Epilogue ep(t);
  if (m == kMR && n == kNR) {
#pragma GCC unroll 6
    for (int i = 0; i < kMR; ++i) {
      const float* bm = t.bias_m ? t.bias_m + i : nullptr;
      ep.store(acc[i][0], c + i * ldc, bm, t.bias_n);
      ep.store(acc[i][1], c + i * ldc + 8, bm, t.bias_n ? t.bias_n + 8 : nullptr);
    }
    return;
  }
  // Partial tile: the same epilogue on a zero-padded copy (padding keeps every vector read in bounds).
  alignas(32) float tile[kMR * kNR] = {}, bias_m[kMR] = {}, bias_n[kNR] = {};
  for (int64_t i = 0; i < m; ++i) {
    if (ep.accumulate) std::copy(c + i * ldc, c + i * ldc + n, tile + i * kNR);
    if (t.bias_m) bias_m[i] = t.bias_m[i];
  }
  if (t.bias_n) std::copy(t.bias_n, t.bias_n + n, bias_n);
  for (int i = 0; i < kMR; ++i) {
    const float* bm = t.bias_m ? bias_m + i : nullptr;
    ep.store(acc[i][0], tile + i * kNR, bm, t.bias_n ? bias_n : nullptr);
    ep.store(acc[i][1], tile + i * kNR + 8, bm, t.bias_n ? bias_n + 8 : nullptr);
  }
  for (int64_t i = 0; i < m; ++i) std::copy(tile + i * kNR, tile + i * kNR + n, c + i * ldc);
}

// Rows 0..n-1 (n <= 8; rows n..7 read as zeros) of `s` (row stride rs, contiguous along k), k = 0..7,
// written as 8 k-rows of 8 floats at dst + k * R.
inline void transpose_8x8(const float* s, int64_t rs, int64_t n, float* dst, int64_t R) {
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i) r[i] = i < n ? _mm256_loadu_ps(s + i * rs) : _mm256_setzero_ps();
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // r_i[0] r_i+1[0] r_i[1] r_i+1[1] | same for 4, 5
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // ... [2], [3] | [6], [7]
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));      // column 0 | 4 of 4 rows
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));  // column 1 | 5
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));  // 2 | 6
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));  // 3 | 7
  }
  // k-rows in increasing order: a store that spills past its k-row is overwritten by the next one.
  for (int j = 0; j < 4; ++j) _mm256_storeu_ps(dst + j * R, _mm256_permute2f128_ps(u[j], u[j + 4], 0x20));
  for (int j = 0; j < 4; ++j) _mm256_storeu_ps(dst + (j + 4) * R, _mm256_permute2f128_ps(u[j], u[j + 4], 0x31));
}

// Lanes 0..n-1 on (n may be <= 0 or >= 8).
inline __m256i lane_mask(int64_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const int live = int(n < 0 ? 0 : n > 8 ? 8 : n);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(live), idx);
}


}  // namespace

// 4 rows of A x 4 rows of B, 8 k per vector, computed as two 2x4 halves (8 accumulators + 2 + 1 of the
// 16 ymm registers); the k tail is scalar.
void gemm_dot_f32__avx2(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                        int64_t m, int64_t n, const GemmTile<float>& t) {
  const float* ar[4];
  const float* br[4];
  gemm_dot_rows_f32(a, lda, b, ldb, m, n, ar, br);
  const int64_t kv = kc / 8 * 8;
  float r[4][4];
  for (int half = 0; half < 4; half += 2) {
    __m256 acc[2][4];
#pragma GCC unroll 2
    for (int i = 0; i < 2; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) acc[i][j] = _mm256_setzero_ps();
    for (int64_t k = 0; k < kv; k += 8) {
      const __m256 x0 = _mm256_loadu_ps(ar[half] + k), x1 = _mm256_loadu_ps(ar[half + 1] + k);
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        const __m256 w = _mm256_loadu_ps(br[j] + k);
        acc[0][j] = _mm256_fmadd_ps(x0, w, acc[0][j]);
        acc[1][j] = _mm256_fmadd_ps(x1, w, acc[1][j]);
      }
    }
#pragma GCC unroll 2
    for (int i = 0; i < 2; ++i) {
      __m128 q[4];
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) q[j] = _mm_add_ps(_mm256_castps256_ps128(acc[i][j]), _mm256_extractf128_ps(acc[i][j], 1));
      _mm_storeu_ps(r[half + i], _mm_hadd_ps(_mm_hadd_ps(q[0], q[1]), _mm_hadd_ps(q[2], q[3])));
      for (int j = 0; j < 4; ++j)
        for (int64_t k = kv; k < kc; ++k) r[half + i][j] += ar[half + i][k] * br[j][k];
    }
  }
  gemm_store_dot_tile_f32(r, c, ldc, m, n, t);
}

// Rows go in groups of 8 vector lanes. When R is not a multiple of 8 (MR = 6, 14) the last group's
// 8-float stores run past the k-row into the next one; groups are written from the last to the first, so
// the next k-row's own stores overwrite the spill later. The caller's buffer has kGemmPackSlack floats
// past its end for the spill of the very last k-row.
void gemm_pack_f32__avx2(const float* src, int64_t rs, int64_t cs, int64_t rows, int64_t depth, int64_t R,
                         float* dst) {
  if (cs != 1 && rs != 1) return gemm_pack_f32__ref(src, rs, cs, rows, depth, R, dst);
  const int64_t last_group = (R - 1) / 8 * 8;
  for (int64_t p = 0; p < rows; p += R, dst += R * depth) {
    const int64_t live = std::min(R, rows - p);
    const float* s = src + p * rs;
    if (cs == 1) {  // rows contiguous along k (W in X·Wᵀ, X in X·W): 8x8 transposes
      int64_t k = 0;
      for (; k + 8 <= depth; k += 8)
        for (int64_t r = last_group; r >= 0; r -= 8)
          transpose_8x8(s + r * rs + k, rs, live - r, dst + k * R + r, R);
      for (; k < depth; ++k) {
        for (int64_t r = 0; r < live; ++r) dst[k * R + r] = s[r * rs + k];
        std::fill(dst + k * R + live, dst + (k + 1) * R, 0.f);
      }
    } else {  // rows contiguous across r: one masked vector copy per group and k
      if (live == R && R % 8 == 0) {
        for (int64_t k = 0; k < depth; ++k)
          for (int64_t r = 0; r < R; r += 8) _mm256_storeu_ps(dst + k * R + r, _mm256_loadu_ps(s + k * cs + r));
        continue;
      }
      for (int64_t k = 0; k < depth; ++k)
        for (int64_t r = last_group; r >= 0; r -= 8)
          _mm256_storeu_ps(dst + k * R + r, _mm256_maskload_ps(s + k * cs + r, lane_mask(live - r)));
    }
  }
}

// KC 256: a 256x16 B micro-panel (16 KiB) stays in the 32 KiB L1 beside the A panel's stream;
// MC 144 x KC 256 A block = 144 KiB of a 512 KiB L2; NC 3072 x KC 256 B panel = 3 MiB of L3.
const GemmConfig<float> gemm_f32_ukernel_6x16__avx2 = {kMR, kNR, 256, 144, 3072, ukernel_6x16,
                                                       gemm_pack_f32__avx2};

}  // namespace fastnn
