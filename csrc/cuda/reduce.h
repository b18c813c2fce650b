// reduce.h — warp and block reductions for the CUDA kernels (kernel sources only). Every reduction here
// combines in a fixed order (xor butterflies, fixed trees), so a result does not depend on the thread
// schedule: the same inputs give the same bits run to run.
#pragma once
#include <cstdint>

#include "cuda/launch.h"

namespace fastnn {
namespace cuda {

struct SumOp {
  template <class T>
  __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};

// Maximum where NaN wins (torch's max for softmax rows: a NaN anywhere makes the row NaN).
struct MaxNanOp {
  template <class T>
  __device__ __forceinline__ T operator()(T a, T b) const { return b > a || b != b ? b : a; }
};

// Every lane of the (full) warp gets op over the 32 lanes' v. An xor butterfly: at each step both
// partners compute op(a, b) on the same pair, so all lanes end with identical bits.
template <class T, class Op>
__device__ __forceinline__ T warp_allreduce(T v, Op op) {
  for (int offset = 16; offset > 0; offset >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

// Sum of every thread's v in a block of kBlock threads (a power of two, <= 1024) through `shared` (kBlock
// elements); every thread gets the result. Every thread of the block must call it; `shared` may be reused
// after one more __syncthreads.
template <int kBlock, class T>
__device__ __forceinline__ T block_sum(T v, T* shared) {
  const unsigned t = threadIdx.x;
  shared[t] = v;
  __syncthreads();
  for (int half = kBlock / 2; half > 0; half >>= 1) {
    if (t < unsigned(half)) shared[t] += shared[t + half];
    __syncthreads();
  }
  return shared[0];
}

}  // namespace cuda
}  // namespace fastnn
