// optim.h — CUDA launcher of the optimizer steps (cuda/optim.cu; formulas: cpu/optim.h). count tensors of
// one kind, each with its own OptimStep; raw device pointers, contiguous. Launches on `stream`.
#pragma once
#include <cstdint>

#include "core/optim_params.h"
#include "cuda/launch.h"

namespace fastnn {
namespace cuda {

template <class E>
void optimizer_step(const OptimTensor<E>* t, const OptimStep* h, int64_t count, cudaStream_t stream);

}  // namespace cuda
}  // namespace fastnn
