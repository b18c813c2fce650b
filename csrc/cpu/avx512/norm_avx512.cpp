// norm_avx512.cpp — the normalization loops (cpu/norm_math.h) on the AVX512 vector traits.
#include "cpu/avx512/traits_avx512.h"
#include "cpu/norm_math.h"

namespace fastnn {

NormKernels norm_f32__avx512() { return norm::kernels<avx512::Avx512>(); }

}  // namespace fastnn
