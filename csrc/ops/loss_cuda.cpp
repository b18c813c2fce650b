// loss_cuda.cpp — the CUDA side of ops/loss.h: the same checks, then the launchers of cuda/loss.h.
#include "ops/cuda.h"

#include "core/error.h"
#include "cuda/loss.h"
#include "ops/loss.h"

namespace fastnn {
namespace cuda {

namespace {
template <class T>
LossOperands<T> loss_operands(double a, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                              const ArrayView* pw) {
  return LossOperands<T>{a, x.as<const T>(), y.as<const T>(), data_or_null<T>(w), data_or_null<T>(pw), x.numel()};
}
}  // namespace

void pointwise_loss(Loss kind, double a, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                    const ArrayView* pw, const ArrayView& out, Reduction r, cudaStream_t stream) {
  check_pointwise_loss(kind, x, y, w, pw, out, r, kArrayDevice);
  if (x.dtype == DType::Float32) cuda::pointwise_loss(kind, loss_operands<float>(a, x, y, w, pw), out.as<float>(), r, stream);
  else cuda::pointwise_loss(kind, loss_operands<double>(a, x, y, w, pw), out.as<double>(), r, stream);
}

void pointwise_loss_backward(Loss kind, double a, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                             const ArrayView* pw, const ArrayView& grad_output, const ArrayView& grad, Reduction r,
                             cudaStream_t stream) {
  check_pointwise_loss_backward(kind, x, y, w, pw, grad_output, grad, r, kArrayDevice);
  if (x.dtype == DType::Float32)
    cuda::pointwise_loss_backward(kind, loss_operands<float>(a, x, y, w, pw), grad_output.as<const float>(),
                                  grad.as<float>(), r, stream);
  else
    cuda::pointwise_loss_backward(kind, loss_operands<double>(a, x, y, w, pw), grad_output.as<const double>(),
                                  grad.as<double>(), r, stream);
}

}  // namespace cuda
}  // namespace fastnn
