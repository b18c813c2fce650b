// fma_peak_avx2.cpp — FMA-throughput loop on 8-lane vectors (see cpu/fma_peak.h).
#include <immintrin.h>

#include "cpu/fma_peak.h"

namespace fastnn {

float fma_peak_f32__avx2(int64_t iters, double* flops) {
  constexpr int kChains = 12;
  const __m256 a = _mm256_set1_ps(0.9375f);
  __m256 acc[kChains], b[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm256_setzero_ps(), b[j] = _mm256_set1_ps(float(j + 1) / 16.f);
  for (int64_t i = 0; i < iters; ++i)
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j) acc[j] = _mm256_fmadd_ps(acc[j], a, b[j]);
  __m256 s = acc[0];
  for (int j = 1; j < kChains; ++j) s = _mm256_add_ps(s, acc[j]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float sum = 0.f;
  for (float v : lanes) sum += v;
  *flops = double(iters) * kChains * 8 * 2;
  return sum;
}

}  // namespace fastnn
