// softmax_registry.cpp — every softmax row-primitive variant, best first.
#include "cpu/softmax.h"

namespace fastnn {

#define FASTNN_SOFTMAX(isa_suffix, isa) \
  {"softmax_f32__" #isa_suffix, isa, SoftmaxKernels{row_max_f32__##isa_suffix, exp_sum_f32__##isa_suffix}, false}

const KernelList<SoftmaxKernels>& softmax_f32_kernels() {
  static const KernelList<SoftmaxKernels> k = {
#ifdef FASTNN_X86_KERNELS
      FASTNN_SOFTMAX(avx512, Isa::Avx512),
      FASTNN_SOFTMAX(avx2, Isa::Avx2),
#endif
      FASTNN_SOFTMAX(ref, Isa::Generic),
  };
  return k;
}

}  // namespace fastnn
