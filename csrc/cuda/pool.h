// pool.h — CUDA max/avg pooling launchers (cuda/pool.cu), torch's semantics as ops/pool.h on the CPU.
// Contiguous (planes, H, W) inputs and (planes, OH, OW) outputs; every launcher takes the stream, returns
// at once on empty outputs and checks the launch.
#pragma once
#include <cstdint>

#include "cuda/launch.h"
#include "core/pool_params.h"

namespace fastnn {
namespace cuda {

template <class T>
void max_pool2d_forward(const Pool2dShape& s, const Pool2dParams& p, const T* x, T* y, int64_t* indices,
                        cudaStream_t stream);
template <class T>
void max_pool2d_backward(const Pool2dShape& s, const Pool2dParams& p, const T* gy, const T* x, T* gx,
                         cudaStream_t stream);
template <class T>
void avg_pool2d_forward(const Pool2dShape& s, const Pool2dParams& p, const T* x, T* y, cudaStream_t stream);
template <class T>
void avg_pool2d_backward(const Pool2dShape& s, const Pool2dParams& p, const T* gy, T* gx, cudaStream_t stream);

}  // namespace cuda
}  // namespace fastnn
