// loss_registry.cpp — every pointwise-loss kernel variant, best first.
#include "cpu/loss.h"

namespace fastnn {

#define FASTNN_LOSS(isa_suffix, isa) \
  {"loss_f32__" #isa_suffix, isa, LossKernels{loss_f32__##isa_suffix, loss_backward_f32__##isa_suffix}, false}

const KernelList<LossKernels>& loss_f32_kernels() {
  static const KernelList<LossKernels> k = {
#ifdef FASTNN_X86_KERNELS
      FASTNN_LOSS(avx512, Isa::Avx512),
      FASTNN_LOSS(avx2, Isa::Avx2),
#endif
      FASTNN_LOSS(ref, Isa::Generic),
  };
  return k;
}

}  // namespace fastnn
