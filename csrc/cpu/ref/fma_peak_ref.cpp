// fma_peak_ref.cpp — portable FMA-throughput loop (see cpu/fma_peak.h).
#include "cpu/fma_peak.h"

namespace fastnn {

float fma_peak_f32__ref(int64_t iters, double* flops) {
  constexpr int kChains = 12;
  float acc[kChains] = {}, b[kChains];
  for (int j = 0; j < kChains; ++j) b[j] = float(j + 1) / 16.f;
  for (int64_t i = 0; i < iters; ++i)
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j) acc[j] = acc[j] * 0.9375f + b[j];
  float sum = 0.f;
  for (float v : acc) sum += v;
  *flops = double(iters) * kChains * 2;
  return sum;
}

}  // namespace fastnn
