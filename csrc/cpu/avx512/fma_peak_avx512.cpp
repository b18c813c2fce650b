// fma_peak_avx512.cpp — FMA-throughput loop on 16-lane vectors (see cpu/fma_peak.h).
#include <immintrin.h>

#include "cpu/fma_peak.h"

namespace fastnn {

float fma_peak_f32__avx512(int64_t iters, double* flops) {
  constexpr int kChains = 12;
  const __m512 a = _mm512_set1_ps(0.9375f);
  __m512 acc[kChains], b[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_setzero_ps(), b[j] = _mm512_set1_ps(float(j + 1) / 16.f);
  for (int64_t i = 0; i < iters; ++i)
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b[j]);
  __m512 s = acc[0];
  for (int j = 1; j < kChains; ++j) s = _mm512_add_ps(s, acc[j]);
  *flops = double(iters) * kChains * 16 * 2;
  return _mm512_reduce_add_ps(s);
}

}  // namespace fastnn
