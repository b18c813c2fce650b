// softmax_cuda.cpp — the CUDA side of ops/softmax.h: the same checks, then the launchers of cuda/softmax.h.
#include "ops/cuda.h"

#include "core/error.h"
#include "cuda/softmax.h"
#include "ops/softmax.h"

namespace fastnn {
namespace cuda {

void softmax(const ArrayView& x, const ArrayView& y, int64_t dim, bool log, cudaStream_t stream) {
  const SoftmaxLayout l = check_softmax(x, y, dim, log, kArrayDevice);
  if (x.dtype == DType::Float32) softmax_forward(l, x.as<const float>(), y.as<float>(), log, stream);
  else softmax_forward(l, x.as<const double>(), y.as<double>(), log, stream);
}

void softmax_backward(const ArrayView& gy, const ArrayView& y, const ArrayView& gx, int64_t dim, bool log,
                      cudaStream_t stream) {
  const SoftmaxLayout l = check_softmax_backward(gy, y, gx, dim, log, kArrayDevice);
  if (gy.dtype == DType::Float32)
    cuda::softmax_backward(l, gy.as<const float>(), y.as<const float>(), gx.as<float>(), log, stream);
  else
    cuda::softmax_backward(l, gy.as<const double>(), y.as<const double>(), gx.as<double>(), log, stream);
}

void cross_entropy(const ArrayView& x, const int64_t* target, const ArrayView* probs, const ArrayView* weight,
                   const ArrayView& loss, const ArrayView* grad, const ArrayView* grad_output,
                   const CrossEntropyParams& p, cudaStream_t stream) {
  check_cross_entropy(x, target, probs, weight, loss, grad, grad_output, p, kArrayDevice);
  if (x.dtype == DType::Float32)
    cuda::cross_entropy(cross_entropy_rows<float>(x, target, probs, weight, loss, grad, grad_output, p),
                        loss.as<float>(), stream);
  else
    cuda::cross_entropy(cross_entropy_rows<double>(x, target, probs, weight, loss, grad, grad_output, p),
                        loss.as<double>(), stream);
}

}  // namespace cuda
}  // namespace fastnn
