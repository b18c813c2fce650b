// fma_peak_registry.cpp — the FMA-throughput kernels, best first.
#include "cpu/fma_peak.h"

namespace fastnn {

const KernelList<FmaPeakFn>& fma_peak_f32_kernels() {
  static const KernelList<FmaPeakFn> k = {
#ifdef FASTNN_X86_KERNELS
      FASTNN_KERNEL(fma_peak_f32__avx512, Isa::Avx512),
      FASTNN_KERNEL(fma_peak_f32__avx2, Isa::Avx2),
#endif
      FASTNN_KERNEL(fma_peak_f32__ref, Isa::Generic),
  };
  return k;
}

}  // namespace fastnn
