// registry.cpp — the list of kernel families, for list_kernels() and the tests that iterate over it.
#include "cpu/registry.h"

#include "cpu/activation.h"
#include "cpu/conv_direct.h"
#include "cpu/fma_peak.h"
#include "cpu/gemm.h"
#include "cpu/loss.h"
#include "cpu/norm.h"
#include "cpu/optim.h"
#include "cpu/pool.h"
#include "cpu/relu.h"
#include "cpu/rnn.h"
#include "cpu/softmax.h"

namespace fastnn {

std::vector<KernelInfo> kernel_catalog() {
  std::vector<KernelInfo> all;
  describe_kernels("relu_f32", relu_f32_kernels(), all);
  describe_kernels("relu_f64", relu_f64_kernels(), all);
  describe_kernels("relu_backward_f32", relu_backward_f32_kernels(), all);
  describe_kernels("relu_backward_f64", relu_backward_f64_kernels(), all);
  describe_kernels("fma_peak_f32", fma_peak_f32_kernels(), all);
  describe_kernels("gemm_f32", gemm_f32_kernels(), all);
  describe_kernels("gemm_f64", gemm_f64_kernels(), all);
  describe_kernels("gemm_dot_f32", gemm_dot_f32_kernels(), all);
  describe_kernels("conv_direct_f32", conv_direct_f32_kernels(), all);
  describe_kernels("softmax_f32", softmax_f32_kernels(), all);
  describe_kernels("activation_f32", activation_f32_kernels(), all);
  describe_kernels("loss_f32", loss_f32_kernels(), all);
  describe_kernels("optim_f32", optim_f32_kernels(), all);
  describe_kernels("norm_f32", norm_f32_kernels(), all);
  describe_kernels("rnn_cell_f32", rnn_cell_f32_kernels(), all);
  describe_kernels("max_pool2x2_backward_f32", max_pool2x2_backward_f32_kernels(), all);
  return all;
}

std::string selected_kernel(const std::string& family, bool streaming) {
  // Lists are best first and end with an always-usable reference kernel.
  for (const auto& k : kernel_catalog())
    if (k.family == family && may_use(k.isa) && (streaming || !k.streaming)) return k.name;
  fail(ErrorKind::Value, "no kernel family named '", family, "'");
}

}  // namespace fastnn
