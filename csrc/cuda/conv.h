// conv.h — CUDA conv2d launchers (cuda/conv.cu): im2col and its adjoint on the GPU around the CUDA GEMM,
// one image and group at a time (as ops/conv.cpp on the CPU, without the image blocks).
#pragma once
#include <cstdint>

#include "cuda/launch.h"
#include "core/conv_params.h"

namespace fastnn {
namespace cuda {

template <class T>
void conv2d_forward(const Conv2dShape& s, const Conv2dParams& p, const T* x, const T* w, const T* bias, T* y,
                    cudaStream_t stream);
template <class T>
void conv2d_backward(const Conv2dShape& s, const Conv2dParams& p, const T* gy, const T* x, const T* w, T* gx, T* gw,
                     T* gb, cudaStream_t stream);

}  // namespace cuda
}  // namespace fastnn
