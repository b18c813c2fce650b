// activation_avx2.cpp — the activations (math/activation_math.h) on 8-lane vectors: exp from
// vmath_avx2.h, log from the exponent and mantissa bits; the tail is one masked vector.
#include <immintrin.h>

#include <cstdint>

#include <limits>

#include "math/activation_math.h"
#include "cpu/avx2/traits_avx2.h"

namespace fastnn {

using avx2::Avx2;

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
