// pool_ref.cpp — portable pooling kernels (cpu/pool.h); the oracle of the SIMD variants.
#include "cpu/pool.h"

namespace fastnn {

void max_pool2x2_backward_f32__ref(const float* r0, const float* r1, const float* g, float* d0, float* d1,
                                   int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float a0 = r0[2 * i], a1 = r0[2 * i + 1], a2 = r1[2 * i], a3 = r1[2 * i + 1];
    float best = a0;
    int w = 0;
    if (a1 > best || a1 != a1) best = a1, w = 1;
    if (a2 > best || a2 != a2) best = a2, w = 2;
    if (a3 > best || a3 != a3) w = 3;
    d0[2 * i] = w == 0 ? g[i] : 0.f;
    d0[2 * i + 1] = w == 1 ? g[i] : 0.f;
    d1[2 * i] = w == 2 ? g[i] : 0.f;
    d1[2 * i + 1] = w == 3 ? g[i] : 0.f;
  }
}

}  // namespace fastnn
