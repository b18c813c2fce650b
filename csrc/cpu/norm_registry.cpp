// norm_registry.cpp — every normalization kernel variant, best first.
#include "cpu/norm.h"

namespace fastnn {

const KernelList<NormKernels>& norm_f32_kernels() {
  static const KernelList<NormKernels> k = {
#ifdef FASTNN_X86_KERNELS
      {"norm_f32__avx512", Isa::Avx512, norm_f32__avx512(), false},
      {"norm_f32__avx2", Isa::Avx2, norm_f32__avx2(), false},
#endif
      {"norm_f32__ref", Isa::Generic, norm_f32__ref(), false},
  };
  return k;
}

}  // namespace fastnn
