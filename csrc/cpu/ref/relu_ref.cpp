// relu_ref.cpp — portable ReLU: the fallback, the float64 path and the oracle of the SIMD variants.
#include "cpu/relu.h"

namespace fastnn {
namespace {

template <class T>
void relu_ref(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] < T(0) ? T(0) : x[i];
}

template <class T>
void relu_backward_ref(const T* dy, const T* y, T* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] <= T(0) ? T(0) : dy[i];
}

}  // namespace

void relu_f32__ref(const float* x, float* y, int64_t n) { relu_ref(x, y, n); }
void relu_f64__ref(const double* x, double* y, int64_t n) { relu_ref(x, y, n); }
void relu_backward_f32__ref(const float* dy, const float* y, float* dx, int64_t n) { relu_backward_ref(dy, y, dx, n); }
void relu_backward_f64__ref(const double* dy, const double* y, double* dx, int64_t n) {
  relu_backward_ref(dy, y, dx, n);
}

}  // namespace fastnn
