// pool_registry.cpp — every pooling kernel variant, best first.
#include "cpu/pool.h"

namespace fastnn {

const KernelList<MaxPool2x2BackwardFn>& max_pool2x2_backward_f32_kernels() {
  static const KernelList<MaxPool2x2BackwardFn> k = {
#ifdef FASTNN_X86_KERNELS
      FASTNN_KERNEL(max_pool2x2_backward_f32__avx2, Isa::Avx2),
#endif
      FASTNN_KERNEL(max_pool2x2_backward_f32__ref, Isa::Generic),
  };
  return k;
}

}  // namespace fastnn
