#include "cuda/ops_cuda.h"

#include "cuda/relu.h"

namespace fastnn {
namespace cuda {

void relu(const ArrayView& x, const ArrayView& y, cudaStream_t stream) {
  const char* op = "relu";
  check_contiguous_on(x, kArrayDevice, op, "x");
  check_contiguous_on(y, kArrayDevice, op, "out");
  check_same_device(x, "x", y, "out", op);
  check_same_shape_dtype(x, "x", y, "out", op);
  check_writable(y, op, "out");
  check_no_partial_overlap(x, "x", y, "out", op);
  if (x.dtype == DType::Float32) relu_f32(x.as<const float>(), y.as<float>(), x.numel(), stream);
  else relu_f64(x.as<const double>(), y.as<double>(), x.numel(), stream);
}

void relu_backward(const ArrayView& dy, const ArrayView& y, const ArrayView& dx, cudaStream_t stream) {
  const char* op = "relu_backward";
  check_contiguous_on(dy, kArrayDevice, op, "grad_output");
  check_contiguous_on(y, kArrayDevice, op, "output");
  check_contiguous_on(dx, kArrayDevice, op, "out");
  check_same_device(dy, "grad_output", y, "output", op);
  check_same_device(dy, "grad_output", dx, "out", op);
  check_same_shape_dtype(dy, "grad_output", y, "output", op);
  check_same_shape_dtype(dy, "grad_output", dx, "out", op);
  check_writable(dx, op, "out");
  check_no_partial_overlap(dy, "grad_output", dx, "out", op);
  check_no_partial_overlap(y, "output", dx, "out", op);
  const int64_t n = dy.numel();
  if (dy.dtype == DType::Float32)
    relu_backward_f32(dy.as<const float>(), y.as<const float>(), dx.as<float>(), n, stream);
  else
    relu_backward_f64(dy.as<const double>(), y.as<const double>(), dx.as<double>(), n, stream);
}

}  // namespace cuda
}  // namespace fastnn
