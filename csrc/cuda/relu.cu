// relu.cu — ReLU forward and backward on CUDA; the same source runs on the CPU through the SIMT emulator.
//   forward:  y = x < 0 ? 0 : x        backward: dx = y <= 0 ? 0 : dy
//   (torch's semantics for NaN and -0.0, bit for bit, as the CPU kernels)
// shapes: x, y, dy, dx contiguous [n], 64-bit indices.
// variants: float4 (16-byte aligned pointers: one 16-byte load/store per operand and thread) for the
//   first 4*floor(n/4) elements, then a scalar kernel for the rest; scalar for float64. Grid-stride
//   loops, 256 threads per block, at most 65535 blocks.
// bench: fastnn-bench --filter relu (GPU columns when a GPU is present)
#include "cuda/relu.h"

#include <algorithm>
#include <cstdint>

namespace fastnn {
namespace cuda {
namespace {

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <class T>
__device__ __forceinline__ T relu_one(T v) {
  return v < T(0) ? T(0) : v;
}

template <class T>
__device__ __forceinline__ T relu_grad_one(T dy, T y) {
  return y <= T(0) ? T(0) : dy;
}

template <class T>
__global__ void relu_kernel(const T* x, T* y, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = relu_one(x[i]);
}

__global__ void relu_f32x4_kernel(const float4* x, float4* y, int64_t n4) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += int64_t(gridDim.x) * blockDim.x) {
    const float4 v = x[i];
    y[i] = make_float4(relu_one(v.x), relu_one(v.y), relu_one(v.z), relu_one(v.w));
  }
}

template <class T>
__global__ void relu_backward_kernel(const T* dy, const T* y, T* dx, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    dx[i] = relu_grad_one(dy[i], y[i]);
}

__global__ void relu_backward_f32x4_kernel(const float4* dy, const float4* y, float4* dx, int64_t n4) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += int64_t(gridDim.x) * blockDim.x) {
    const float4 g = dy[i], v = y[i];
    dx[i] = make_float4(relu_grad_one(g.x, v.x), relu_grad_one(g.y, v.y), relu_grad_one(g.z, v.z),
                        relu_grad_one(g.w, v.w));
  }
}

}  // namespace

void relu_f32(const float* x, float* y, int64_t n, cudaStream_t stream) {
  const int64_t n4 = n > 0 && aligned16(x) && aligned16(y) ? n / 4 : 0;
  launch_grid_stride(relu_f32x4_kernel, n4, stream, reinterpret_cast<const float4*>(x), reinterpret_cast<float4*>(y),
                     n4);
  launch_grid_stride(relu_kernel<float>, n - 4 * n4, stream, x + 4 * n4, y + 4 * n4, n - 4 * n4);
}

void relu_f64(const double* x, double* y, int64_t n, cudaStream_t stream) {
  launch_grid_stride(relu_kernel<double>, n, stream, x, y, n);
}

void relu_backward_f32(const float* dy, const float* y, float* dx, int64_t n, cudaStream_t stream) {
  const int64_t n4 = n > 0 && aligned16(dy) && aligned16(y) && aligned16(dx) ? n / 4 : 0;
  launch_grid_stride(relu_backward_f32x4_kernel, n4, stream, reinterpret_cast<const float4*>(dy),
                     reinterpret_cast<const float4*>(y), reinterpret_cast<float4*>(dx), n4);
  launch_grid_stride(relu_backward_kernel<float>, n - 4 * n4, stream, dy + 4 * n4, y + 4 * n4, dx + 4 * n4, n - 4 * n4);
}

void relu_backward_f64(const double* dy, const double* y, double* dx, int64_t n, cudaStream_t stream) {
  launch_grid_stride(relu_backward_kernel<double>, n, stream, dy, y, dx, n);
}

}  // namespace cuda
}  // namespace fastnn
