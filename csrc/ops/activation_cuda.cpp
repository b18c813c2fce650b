// activation_cuda.cpp — the CUDA side of ops/activation.h: the same checks, then the launchers of cuda/activation.h.
#include "ops/cuda.h"

#include "core/error.h"
#include "cuda/activation.h"
#include "ops/activation.h"

namespace fastnn {
namespace cuda {

void activation(Act act, const ActParams& p, const ArrayView& x, const ArrayView& y, cudaStream_t stream) {
  const std::string op_name = act_op_name(act, false);
  const char* op = op_name.c_str();
  if (act == Act::EluResult) fail(ErrorKind::Value, op, ": elu_result is a backward form only");
  check_elementwise(x, "x", y, "out", op, kArrayDevice);
  if (x.dtype == DType::Float32) activation_f32(act, p, x.as<const float>(), y.as<float>(), x.numel(), stream);
  else activation_f64(act, p, x.as<const double>(), y.as<double>(), x.numel(), stream);
}

void activation_backward(Act act, const ActParams& p, const ArrayView& dy, const ArrayView& s, const ArrayView& dx,
                         cudaStream_t stream) {
  const std::string op_name = act_op_name(act, true);
  const char* op = op_name.c_str();
  check_elementwise(dy, "grad_output", dx, "out", op, kArrayDevice);
  check_elementwise(s, "saved", dx, "out", op, kArrayDevice);
  const int64_t n = dy.numel();
  if (dy.dtype == DType::Float32)
    activation_backward_f32(act, p, dy.as<const float>(), s.as<const float>(), dx.as<float>(), n, stream);
  else
    activation_backward_f64(act, p, dy.as<const double>(), s.as<const double>(), dx.as<double>(), n, stream);
}

}  // namespace cuda
}  // namespace fastnn
