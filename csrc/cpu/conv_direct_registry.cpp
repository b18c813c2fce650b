// conv_direct_registry.cpp — every direct-convolution kernel variant, best first.
#include "cpu/conv_direct.h"

namespace fastnn {

// Each entry: the forward/input-gradient function and the weight-gradient function of one variant.
#define FASTNN_CONV_DIRECT(isa_suffix, isa) \
  {"conv_direct_f32__" #isa_suffix, isa, ConvDirectKernels{conv_direct_f32__##isa_suffix, conv_direct_wgrad_f32__##isa_suffix}, false}

const KernelList<ConvDirectKernels>& conv_direct_f32_kernels() {
  static const KernelList<ConvDirectKernels> k = {
#ifdef FASTNN_X86_KERNELS
      FASTNN_CONV_DIRECT(avx512, Isa::Avx512),
      FASTNN_CONV_DIRECT(avx2, Isa::Avx2),
#endif
      FASTNN_CONV_DIRECT(ref, Isa::Generic),
  };
  return k;
}

}  // namespace fastnn
