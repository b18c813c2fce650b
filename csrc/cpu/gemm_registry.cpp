// gemm_registry.cpp — the one place listing every GEMM micro-kernel configuration, best first.
#include "cpu/gemm.h"

namespace fastnn {

const KernelList<GemmConfigPtr<float>>& gemm_f32_kernels() {
  static const KernelList<GemmConfigPtr<float>> k = {
#ifdef FASTNN_X86_KERNELS
      {"gemm_f32_ukernel_6x64__avx512", Isa::Avx512, &gemm_f32_ukernel_6x64__avx512},
      {"gemm_f32_ukernel_14x32__avx512", Isa::Avx512, &gemm_f32_ukernel_14x32__avx512},
      {"gemm_f32_ukernel_6x16__avx2", Isa::Avx2, &gemm_f32_ukernel_6x16__avx2},
#endif
      {"gemm_f32_ukernel_4x8__ref", Isa::Generic, &gemm_f32_ukernel_4x8__ref},
  };
  return k;
}

const KernelList<GemmDotKernel<float>>& gemm_dot_f32_kernels() {
  static const KernelList<GemmDotKernel<float>> k = {
#ifdef FASTNN_X86_KERNELS
      FASTNN_KERNEL(gemm_dot_f32__avx512, Isa::Avx512),
      FASTNN_KERNEL(gemm_dot_f32__avx2, Isa::Avx2),
#endif
      FASTNN_KERNEL(gemm_dot_f32__ref, Isa::Generic),
  };
  return k;
}

const KernelList<GemmConfigPtr<double>>& gemm_f64_kernels() {
  static const KernelList<GemmConfigPtr<double>> k = {
      {"gemm_f64_ukernel_4x8__ref", Isa::Generic, &gemm_f64_ukernel_4x8__ref},
  };
  return k;
}

}  // namespace fastnn
