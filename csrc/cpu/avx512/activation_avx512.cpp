// activation_avx512.cpp — the activations (math/activation_math.h) on 16-lane vectors: exp from
// vmath_avx512.h, log from getexp/getmant; the tail is one masked vector.
#include <immintrin.h>

#include <cstdint>

#include "math/activation_math.h"
#include "cpu/avx512/traits_avx512.h"

namespace fastnn {

using avx512::Avx512;

void activation_f32__avx512(Act act, const ActParams& p, const float* x, float* y, int64_t n, bool stream) {
  if (stream && reinterpret_cast<uintptr_t>(y) % 4 == 0) return act::forward<Avx512, true>(act, p, x, y, n);
  act::forward<Avx512, false>(act, p, x, y, n);
}
void activation_backward_f32__avx512(Act act, const ActParams& p, const float* dy, const float* s, float* dx,
                                     int64_t n, bool stream) {
  if (stream && reinterpret_cast<uintptr_t>(dx) % 4 == 0) return act::backward<Avx512, true>(act, p, dy, s, dx, n);
  act::backward<Avx512, false>(act, p, dy, s, dx, n);
}

}  // namespace fastnn
