// activation_ref.cpp — the activations on scalars with libm's exp, expm1, log1p and tanh
// (math/activation_math.h): the oracle of the SIMD variants, and the float64 path.
#include "math/activation_math.h"
#include "math/traits_ref.h"

namespace fastnn {

using ref::Scalar;

// (scalar stores: `stream` changes nothing here)
void activation_f32__ref(Act act, const ActParams& p, const float* x, float* y, int64_t n, bool) {
  act::forward<Scalar<float>, false>(act, p, x, y, n);
}
void activation_backward_f32__ref(Act act, const ActParams& p, const float* dy, const float* s, float* dx, int64_t n,
                                  bool) {
  act::backward<Scalar<float>, false>(act, p, dy, s, dx, n);
}
void activation_f64(Act act, const ActParams& p, const double* x, double* y, int64_t n) {
  act::forward<Scalar<double>, false>(act, p, x, y, n);
}
void activation_backward_f64(Act act, const ActParams& p, const double* dy, const double* s, double* dx, int64_t n) {
  act::backward<Scalar<double>, false>(act, p, dy, s, dx, n);
}

}  // namespace fastnn
