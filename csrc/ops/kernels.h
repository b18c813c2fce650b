// kernels.h — what the registered kernel variants are, for the bindings (fastnn.list_kernels,
// fastnn._C.gemm_blocking / selected_kernel) and the tests (exp_f32), so that csrc/bind reads no kernel
// folder itself.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/array_view.h"
#include "cpu/registry.h"

namespace fastnn {

// Every registered kernel of every family (KernelInfo, selected_kernel: cpu/registry.h).
std::vector<KernelInfo> list_kernels();

// A GEMM micro-kernel's blocking (cpu/gemm.h's GemmConfig without its functions); Value error for a
// name no GEMM family registers.
struct GemmBlocking {
  int64_t mr, nr, kc, mc, nc;
};
GemmBlocking gemm_blocking(const std::string& name);

// out = exp(x) by a softmax_f32 variant's vectorized exp (tests measure its ulp error); x, out: contiguous
// float32 CPU arrays of one shape.
void exp_f32(const ArrayView& x, const ArrayView& out, const std::string& kernel);

}  // namespace fastnn
