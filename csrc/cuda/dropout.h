// dropout.h — CUDA launchers of inverted dropout (cuda/dropout.cu; the stream and the mask layout:
// ops/dropout.h). Raw device pointers: x, y, dy, dx contiguous [n], mask ceil(n / 8) bytes.
#pragma once
#include <cstdint>

#include "cuda/launch.h"

namespace fastnn {
namespace cuda {

// y = keep ? x * scale : 0 (y may be x), mask = keep bits; keep iff the draw >= threshold.
template <class T>
void dropout(const T* x, T* y, uint8_t* mask, int64_t n, uint32_t threshold, double scale, uint64_t seed,
             cudaStream_t stream);
// dx = keep ? dy * scale : 0 (dx may be dy).
template <class T>
void dropout_backward(const T* dy, const uint8_t* mask, T* dx, int64_t n, double scale, cudaStream_t stream);

}  // namespace cuda
}  // namespace fastnn
