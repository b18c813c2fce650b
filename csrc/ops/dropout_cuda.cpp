// dropout_cuda.cpp — the CUDA side of ops/dropout.h: the same checks, then the launchers of cuda/dropout.h.
#include "ops/cuda.h"

#include "core/error.h"
#include "cuda/dropout.h"
#include "ops/dropout.h"

namespace fastnn {
namespace cuda {

void dropout(const ArrayView& x, const ArrayView& y, uint8_t* mask, double p, uint64_t seed, cudaStream_t stream) {
  const char* op = "dropout";
  const uint32_t threshold = dropout_threshold(p, op);
  check_elementwise(x, "input", y, "out", op, kArrayDevice);
  const int64_t n = x.numel();
  if (n > 0 && !mask) fail(ErrorKind::Value, op, ": mask is null");
  if (x.dtype == DType::Float32)
    cuda::dropout(x.as<const float>(), y.as<float>(), mask, n, threshold, 1.0 / (1.0 - p), seed, stream);
  else
    cuda::dropout(x.as<const double>(), y.as<double>(), mask, n, threshold, 1.0 / (1.0 - p), seed, stream);
}

void dropout_backward(const ArrayView& dy, const uint8_t* mask, const ArrayView& dx, double p, cudaStream_t stream) {
  const char* op = "dropout_backward";
  dropout_threshold(p, op);
  check_elementwise(dy, "grad_output", dx, "out", op, kArrayDevice);
  const int64_t n = dy.numel();
  if (n > 0 && !mask) fail(ErrorKind::Value, op, ": mask is null");
  if (dy.dtype == DType::Float32) cuda::dropout_backward(dy.as<const float>(), mask, dx.as<float>(), n, 1.0 / (1.0 - p), stream);
  else cuda::dropout_backward(dy.as<const double>(), mask, dx.as<double>(), n, 1.0 / (1.0 - p), stream);
}

}  // namespace cuda
}  // namespace fastnn
