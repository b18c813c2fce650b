// relu.h — ReLU kernels and their registries.
//   forward:  y = x < 0 ? 0 : x        (so relu(-0.0) = -0.0 and relu(NaN) = NaN, bit-exact with torch)
//   backward: dx = y <= 0 ? 0 : dy     (torch's threshold_backward(dy, y, 0); NaN in y passes dy through)
// shapes: x, y, dy, dx are contiguous [n]. Kernels see one thread's chunk; ops/relu.cpp splits the work.
// variants: __ref (portable, also float64), __avx2 (8 lanes), __avx512 (16 lanes); _nt: the same with
//   non-temporal stores, picked for outputs larger than the last-level cache.
// bench: fastnn-bench --filter relu
#pragma once
#include <cstdint>

#include "cpu/registry.h"

namespace fastnn {

template <class T> using ReluFn = void (*)(const T* x, T* y, int64_t n);
template <class T> using ReluBackwardFn = void (*)(const T* dy, const T* y, T* dx, int64_t n);

void relu_f32__ref(const float* x, float* y, int64_t n);
void relu_f64__ref(const double* x, double* y, int64_t n);
void relu_backward_f32__ref(const float* dy, const float* y, float* dx, int64_t n);
void relu_backward_f64__ref(const double* dy, const double* y, double* dx, int64_t n);
#ifdef FASTNN_X86_KERNELS
void relu_f32__avx2(const float* x, float* y, int64_t n);
void relu_f32_nt__avx2(const float* x, float* y, int64_t n);
void relu_backward_f32__avx2(const float* dy, const float* y, float* dx, int64_t n);
void relu_backward_f32_nt__avx2(const float* dy, const float* y, float* dx, int64_t n);
void relu_f32__avx512(const float* x, float* y, int64_t n);
void relu_f32_nt__avx512(const float* x, float* y, int64_t n);
void relu_backward_f32__avx512(const float* dy, const float* y, float* dx, int64_t n);
void relu_backward_f32_nt__avx512(const float* dy, const float* y, float* dx, int64_t n);
#endif

const KernelList<ReluFn<float>>& relu_f32_kernels();
const KernelList<ReluFn<double>>& relu_f64_kernels();
const KernelList<ReluBackwardFn<float>>& relu_backward_f32_kernels();
const KernelList<ReluBackwardFn<double>>& relu_backward_f64_kernels();

}  // namespace fastnn
