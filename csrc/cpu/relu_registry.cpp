// relu_registry.cpp — the one place listing every ReLU kernel, best first (streaming ones before their
// cached twins: pick_kernel skips them unless the output is larger than the last-level cache).
#include "cpu/relu.h"

namespace fastnn {

const KernelList<ReluFn<float>>& relu_f32_kernels() {
  static const KernelList<ReluFn<float>> k = {
#ifdef FASTNN_X86_KERNELS
      FASTNN_STREAMING_KERNEL(relu_f32_nt__avx512, Isa::Avx512),
      FASTNN_KERNEL(relu_f32__avx512, Isa::Avx512),
      FASTNN_STREAMING_KERNEL(relu_f32_nt__avx2, Isa::Avx2),
      FASTNN_KERNEL(relu_f32__avx2, Isa::Avx2),
#endif
      FASTNN_KERNEL(relu_f32__ref, Isa::Generic),
  };
  return k;
}

const KernelList<ReluFn<double>>& relu_f64_kernels() {
  static const KernelList<ReluFn<double>> k = {FASTNN_KERNEL(relu_f64__ref, Isa::Generic)};
  return k;
}

const KernelList<ReluBackwardFn<float>>& relu_backward_f32_kernels() {
  static const KernelList<ReluBackwardFn<float>> k = {
#ifdef FASTNN_X86_KERNELS
      FASTNN_STREAMING_KERNEL(relu_backward_f32_nt__avx512, Isa::Avx512),
      FASTNN_KERNEL(relu_backward_f32__avx512, Isa::Avx512),
      FASTNN_STREAMING_KERNEL(relu_backward_f32_nt__avx2, Isa::Avx2),
      FASTNN_KERNEL(relu_backward_f32__avx2, Isa::Avx2),
#endif
      FASTNN_KERNEL(relu_backward_f32__ref, Isa::Generic),
  };
  return k;
}

const KernelList<ReluBackwardFn<double>>& relu_backward_f64_kernels() {
  static const KernelList<ReluBackwardFn<double>> k = {FASTNN_KERNEL(relu_backward_f64__ref, Isa::Generic)};
  return k;
}

}  // namespace fastnn
