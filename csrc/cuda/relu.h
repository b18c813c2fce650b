// relu.h — CUDA ReLU launchers (cuda/relu.cu). Raw device pointers, contiguous [n]; every launcher
// takes the stream to run on, returns at once for n == 0 and checks the launch.
#pragma once
#include <cstdint>

#include "cuda/launch.h"

namespace fastnn {
namespace cuda {

void relu_f32(const float* x, float* y, int64_t n, cudaStream_t stream);
void relu_f64(const double* x, double* y, int64_t n, cudaStream_t stream);
void relu_backward_f32(const float* dy, const float* y, float* dx, int64_t n, cudaStream_t stream);
void relu_backward_f64(const double* dy, const double* y, double* dx, int64_t n, cudaStream_t stream);

}  // namespace cuda
}  // namespace fastnn
