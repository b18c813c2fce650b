// optim_registry.cpp — every optimizer-step kernel variant, best first.
#include "cpu/optim.h"

namespace fastnn {

const KernelList<OptimKernel>& optim_f32_kernels() {
  static const KernelList<OptimKernel> k = {
#ifdef FASTNN_X86_KERNELS
      FASTNN_KERNEL(optim_f32__avx512, Isa::Avx512),
      FASTNN_KERNEL(optim_f32__avx2, Isa::Avx2),
#endif
      FASTNN_KERNEL(optim_f32__ref, Isa::Generic),
  };
  return k;
}

}  // namespace fastnn
