// loss_avx512.cpp — the pointwise losses (math/loss_math.h) on the AVX512 vector traits; the tail is one
// masked vector.
#include "cpu/avx512/traits_avx512.h"
#include "math/loss_math.h"

namespace fastnn {

using avx512::Avx512;

double loss_f32__avx512(const LossArgs& a, float* out) { return loss::forward<Avx512>(a, out); }
void loss_backward_f32__avx512(const LossArgs& a, const float* g, float scale, float* dx) {
  loss::backward<Avx512>(a, g, scale, dx);
}

}  // namespace fastnn
