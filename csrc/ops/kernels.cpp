#include "ops/kernels.h"

#include "core/error.h"
#include "cpu/gemm.h"
#include "cpu/softmax.h"

namespace fastnn {

std::vector<KernelInfo> list_kernels() { return kernel_catalog(); }

namespace {
template <class T>
bool find_blocking(const KernelList<GemmConfigPtr<T>>& list, const std::string& name, GemmBlocking& out) {
  for (const auto& k : list) {
    if (name == k.name) {
      out = {k.fn->mr, k.fn->nr, k.fn->kc, k.fn->mc, k.fn->nc};
      return true;
    }
  }
  return false;
}
}  // namespace

GemmBlocking gemm_blocking(const std::string& name) {
  GemmBlocking b{};
  if (!find_blocking(gemm_f32_kernels(), name, b) && !find_blocking(gemm_f64_kernels(), name, b))
    fail(ErrorKind::Value, "fastnn._C.gemm_blocking: no GEMM kernel named '", name, "'");
  return b;
}

void exp_f32(const ArrayView& x, const ArrayView& out, const std::string& kernel) {
  const char* op = "fastnn._C.exp_f32";  // a test helper, not an op of fastnn.ops
  check_cpu_contiguous(x, op, "x");
  check_cpu_contiguous(out, op, "out");
  check_same_shape_dtype(x, "x", out, "out", op);
  if (x.dtype != DType::Float32) fail(ErrorKind::Type, op, ": float32 arrays only");
  const auto& k = pick_kernel(softmax_f32_kernels(), "softmax_f32", kernel, op).fn;
  k.exp_sum(x.as<const float>(), 0.f, out.as<float>(), x.numel());
}

}  // namespace fastnn
