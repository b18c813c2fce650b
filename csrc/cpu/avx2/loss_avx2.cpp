// loss_avx2.cpp — the pointwise losses (math/loss_math.h) on the AVX2 vector traits; the tail is one
// masked vector.
#include "cpu/avx2/traits_avx2.h"
#include "math/loss_math.h"

namespace fastnn {

using avx2::Avx2;

double loss_f32__avx2(const LossArgs& a, float* out) { return loss::forward<Avx2>(a, out); }
void loss_backward_f32__avx2(const LossArgs& a, const float* g, float scale, float* dx) {
  loss::backward<Avx2>(a, g, scale, dx);
}

}  // namespace fastnn
