// pool_cuda.cpp — the CUDA side of ops/pool.h: the same checks, then the launchers of cuda/pool.h.
#include "ops/cuda.h"

#include "core/error.h"
#include "cuda/pool.h"
#include "ops/pool.h"

namespace fastnn {
namespace cuda {

void max_pool2d(const ArrayView& x, const ArrayView& y, int64_t* indices, const Pool2dParams& p, cudaStream_t stream) {
  const Pool2dShape s = check_pool2d_forward(x, y, p, kArrayDevice, "max_pool2d");
  if (x.dtype == DType::Float32) max_pool2d_forward(s, p, x.as<const float>(), y.as<float>(), indices, stream);
  else max_pool2d_forward(s, p, x.as<const double>(), y.as<double>(), indices, stream);
}

void max_pool2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& gx, const Pool2dParams& p,
                         cudaStream_t stream) {
  const Pool2dShape s = check_pool2d_backward(gy, x, gx, p, kArrayDevice, "max_pool2d_backward");
  if (gx.data == x.data) fail(ErrorKind::Value, "max_pool2d_backward: 'grad_input' overlaps 'input' in memory");
  if (x.dtype == DType::Float32)
    cuda::max_pool2d_backward(s, p, gy.as<const float>(), x.as<const float>(), gx.as<float>(), stream);
  else
    cuda::max_pool2d_backward(s, p, gy.as<const double>(), x.as<const double>(), gx.as<double>(), stream);
}

void avg_pool2d(const ArrayView& x, const ArrayView& y, const Pool2dParams& p, cudaStream_t stream) {
  const Pool2dShape s = check_pool2d_forward(x, y, p, kArrayDevice, "avg_pool2d");
  if (x.dtype == DType::Float32) avg_pool2d_forward(s, p, x.as<const float>(), y.as<float>(), stream);
  else avg_pool2d_forward(s, p, x.as<const double>(), y.as<double>(), stream);
}

void avg_pool2d_backward(const ArrayView& gy, const ArrayView& gx, const Pool2dParams& p, cudaStream_t stream) {
  const Pool2dShape s = check_pool2d_backward(gy, gx, gx, p, kArrayDevice, "avg_pool2d_backward");
  if (gx.dtype == DType::Float32) cuda::avg_pool2d_backward(s, p, gy.as<const float>(), gx.as<float>(), stream);
  else cuda::avg_pool2d_backward(s, p, gy.as<const double>(), gx.as<double>(), stream);
}

}  // namespace cuda
}  // namespace fastnn
