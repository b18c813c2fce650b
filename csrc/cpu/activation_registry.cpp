// activation_registry.cpp — every activation kernel variant, best first.
#include "cpu/activation.h"

namespace fastnn {

#define FASTNN_ACTIVATION(isa_suffix, isa)                                                                  \
  {"activation_f32__" #isa_suffix, isa,                                                                     \
   ActivationKernels{activation_f32__##isa_suffix, activation_backward_f32__##isa_suffix}, false}

const KernelList<ActivationKernels>& activation_f32_kernels() {
  static const KernelList<ActivationKernels> k = {
#ifdef FASTNN_X86_KERNELS
      FASTNN_ACTIVATION(avx512, Isa::Avx512),
      FASTNN_ACTIVATION(avx2, Isa::Avx2),
#endif
      FASTNN_ACTIVATION(ref, Isa::Generic),
  };
  return k;
}

}  // namespace fastnn
