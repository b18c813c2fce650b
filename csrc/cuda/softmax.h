// softmax.h — CUDA launchers of softmax / log_softmax and cross-entropy (cuda/softmax.cu; semantics:
// ops/softmax.h). Raw device pointers, contiguous; every launcher takes the stream to run on.
#pragma once
#include <cstdint>

#include "cuda/launch.h"
#include "core/softmax_params.h"

namespace fastnn {
namespace cuda {

// y = softmax(x) (log: log_softmax) over D of x seen as (outer, D, inner); y may be x.
template <class T>
void softmax_forward(const SoftmaxLayout& l, const T* x, T* y, bool log, cudaStream_t stream);
// gx from gy and the forward's output y; gx may be gy.
template <class T>
void softmax_backward(const SoftmaxLayout& l, const T* gy, const T* y, T* gx, bool log, cudaStream_t stream);
// The rows (ops/softmax.h, device pointers); loss: the rows' loss array (none) or the 1-element result.
// Raises Index errors for class indices outside [0, C) (synchronizes the stream).
template <class T>
void cross_entropy(const CrossEntropyRows<T>& rows, T* loss, cudaStream_t stream);

}  // namespace cuda
}  // namespace fastnn
