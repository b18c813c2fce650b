#include "ops/relu.h"

#include "cpu/relu.h"
#include "ops/eltwise.h"

namespace fastnn {
namespace {

template <class T>
void relu_typed(const KernelList<ReluFn<T>>& list, const char* family, const ArrayView& x, const ArrayView& y,
                const std::string& kernel) {
  const int64_t n = x.numel();
  const ReluFn<T> fn = pick_kernel(list, family, kernel, "relu", use_streaming_stores(n * int64_t(sizeof(T)))).fn;
  const T* xp = x.as<const T>();
  T* yp = y.as<T>();
  eltwise_parallel(n, [&](int64_t off, int64_t cnt) { fn(xp + off, yp + off, cnt); });
}

template <class T>
void relu_backward_typed(const KernelList<ReluBackwardFn<T>>& list, const char* family, const ArrayView& dy,
                         const ArrayView& y, const ArrayView& dx, const std::string& kernel) {
  const int64_t n = dy.numel();
  const ReluBackwardFn<T> fn =
      pick_kernel(list, family, kernel, "relu_backward", use_streaming_stores(n * int64_t(sizeof(T)))).fn;
  const T* dyp = dy.as<const T>();
  const T* yp = y.as<const T>();
  T* dxp = dx.as<T>();
  eltwise_parallel(n, [&](int64_t off, int64_t cnt) { fn(dyp + off, yp + off, dxp + off, cnt); });
}

}  // namespace

void relu(const ArrayView& x, const ArrayView& y, const std::string& kernel) {
  const char* op = "relu";
  check_elementwise(x, "x", y, "out", op);
  if (x.dtype == DType::Float32)
    relu_typed<float>(relu_f32_kernels(), "relu_f32", x, y, kernel);
  else
    relu_typed<double>(relu_f64_kernels(), "relu_f64", x, y, kernel);
}

void relu_backward(const ArrayView& dy, const ArrayView& y, const ArrayView& dx, const std::string& kernel) {
  const char* op = "relu_backward";
  check_elementwise(dy, "grad_output", dx, "out", op);
  check_elementwise(y, "output", dx, "out", op);
  if (dy.dtype == DType::Float32)
    relu_backward_typed<float>(relu_backward_f32_kernels(), "relu_backward_f32", dy, y, dx, kernel);
  else
    relu_backward_typed<double>(relu_backward_f64_kernels(), "relu_backward_f64", dy, y, dx, kernel);
}

}  // namespace fastnn
