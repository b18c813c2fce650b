// norm_ref.cpp — the normalization loops (cpu/norm_math.h) on scalars: the oracle of the SIMD variants,
// and the float64 path.
#include "cpu/norm_math.h"
#include "math/traits_ref.h"

namespace fastnn {

NormKernels norm_f32__ref() { return norm::kernels<ref::Scalar<float>>(); }

const NormKernelsT<double>& norm_f64() {
  static const NormKernelsT<double> k = norm::kernels<ref::Scalar<double>>();
  return k;
}

}  // namespace fastnn
