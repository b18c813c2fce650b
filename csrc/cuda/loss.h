// loss.h — CUDA launchers of the pointwise losses (cuda/loss.cu; formulas: cpu/loss.h, semantics:
// ops/loss.h). Raw device pointers, contiguous [n]; every launcher takes the stream to run on.
#pragma once
#include <cstdint>

#include "core/loss_params.h"
#include "cuda/launch.h"
#include "core/softmax_params.h"

namespace fastnn {
namespace cuda {

template <class T>
struct LossOperands {
  double a;  // beta / delta
  const T *x, *y, *w, *pw;  // w, pw: null for 1
  int64_t n;
};

// out: n losses (Reduction::None) or 1 (sum, or mean: NaN for n == 0).
template <class T>
void pointwise_loss(Loss kind, const LossOperands<T>& o, T* out, Reduction r, cudaStream_t stream);
// grad = upstream * dloss/dx; grad_output: n values (None) or 1.
template <class T>
void pointwise_loss_backward(Loss kind, const LossOperands<T>& o, const T* grad_output, T* grad, Reduction r,
                             cudaStream_t stream);

}  // namespace cuda
}  // namespace fastnn
