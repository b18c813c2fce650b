// loss_ref.cpp — the pointwise losses on scalars with libm (math/loss_math.h): the oracle of the SIMD
// variants, and the float64 path.
#include "math/loss_math.h"
#include "math/traits_ref.h"

namespace fastnn {

using ref::Scalar;

double loss_f32__ref(const LossArgs& a, float* out) { return loss::forward<Scalar<float>>(a, out); }
void loss_backward_f32__ref(const LossArgs& a, const float* g, float scale, float* dx) {
  loss::backward<Scalar<float>>(a, g, scale, dx);
}
double loss_f64(const LossArgs64& a, double* out) { return loss::forward<Scalar<double>>(a, out); }
void loss_backward_f64(const LossArgs64& a, const double* g, double scale, double* dx) {
  loss::backward<Scalar<double>>(a, g, scale, dx);
}

}  // namespace fastnn
