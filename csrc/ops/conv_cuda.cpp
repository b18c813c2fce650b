// conv_cuda.cpp — the CUDA side of ops/conv.h: the same checks, then the launchers of cuda/conv.h.
#include "ops/cuda.h"

#include "core/error.h"
#include "cuda/conv.h"
#include "ops/conv.h"

namespace fastnn {
namespace cuda {

void conv2d(const ArrayView& x, const ArrayView& w, const ArrayView* bias, const ArrayView& y, const Conv2dParams& p,
            cudaStream_t stream) {
  const Conv2dShape s = check_conv2d_forward(x, w, bias, y, p, kArrayDevice);
  if (x.dtype == DType::Float32)
    conv2d_forward(s, p, x.as<const float>(), w.as<const float>(), bias ? bias->as<const float>() : nullptr,
                   y.as<float>(), stream);
  else
    conv2d_forward(s, p, x.as<const double>(), w.as<const double>(), bias ? bias->as<const double>() : nullptr,
                   y.as<double>(), stream);
}

void conv2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                     const ArrayView* gw, const ArrayView* gb, const Conv2dParams& p, cudaStream_t stream) {
  const Conv2dShape s = check_conv2d_backward(gy, x, w, gx, gw, gb, p, kArrayDevice);
  if (x.dtype == DType::Float32)
    cuda::conv2d_backward(s, p, gy.as<const float>(), x.as<const float>(), w.as<const float>(),
                          gx ? gx->as<float>() : nullptr, gw ? gw->as<float>() : nullptr, gb ? gb->as<float>() : nullptr,
                          stream);
  else
    cuda::conv2d_backward(s, p, gy.as<const double>(), x.as<const double>(), w.as<const double>(),
                          gx ? gx->as<double>() : nullptr, gw ? gw->as<double>() : nullptr,
                          gb ? gb->as<double>() : nullptr, stream);
}

}  // namespace cuda
}  // namespace fastnn
