// relu_cuda.cpp — the CUDA side of ops/relu.h: the same checks, then the launchers of cuda/relu.h.
#include "ops/cuda.h"

#include "core/error.h"
#include "cuda/relu.h"

namespace fastnn {
namespace cuda {

void relu(const ArrayView& x, const ArrayView& y, cudaStream_t stream) {
  check_elementwise(x, "x", y, "out", "relu", kArrayDevice);
  if (x.dtype == DType::Float32) relu_f32(x.as<const float>(), y.as<float>(), x.numel(), stream);
  else relu_f64(x.as<const double>(), y.as<double>(), x.numel(), stream);
}

void relu_backward(const ArrayView& dy, const ArrayView& y, const ArrayView& dx, cudaStream_t stream) {
  check_elementwise(dy, "grad_output", dx, "out", "relu_backward", kArrayDevice);
  check_elementwise(y, "output", dx, "out", "relu_backward", kArrayDevice);
  const int64_t n = dy.numel();
  if (dy.dtype == DType::Float32)
    relu_backward_f32(dy.as<const float>(), y.as<const float>(), dx.as<float>(), n, stream);
  else
    relu_backward_f64(dy.as<const double>(), y.as<const double>(), dx.as<double>(), n, stream);
}

}  // namespace cuda
}  // namespace fastnn
