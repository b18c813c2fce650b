// softmax_ref.cpp — portable softmax row primitives (cpu/softmax.h); the oracle of the SIMD variants.
#include <cmath>
#include <limits>

#include "cpu/softmax.h"

namespace fastnn {

float row_max_f32__ref(const float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) m = x[i] > m || x[i] != x[i] ? x[i] : m;
  return m;
}

float exp_sum_f32__ref(const float* x, float shift, float* y, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float e = std::exp(x[i] - shift);
    if (y) y[i] = e;
    sum += e;
  }
  return float(sum);
}

}  // namespace fastnn
