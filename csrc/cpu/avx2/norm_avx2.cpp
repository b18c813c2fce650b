// norm_avx2.cpp — the normalization loops (cpu/norm_math.h) on the AVX2 vector traits.
#include "cpu/avx2/traits_avx2.h"
#include "cpu/norm_math.h"

namespace fastnn {

NormKernels norm_f32__avx2() { return norm::kernels<avx2::Avx2>(); }

}  // namespace fastnn
