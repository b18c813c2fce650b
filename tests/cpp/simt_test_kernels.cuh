// simt_test_kernels.cuh — kernels that exercise the SIMT emulator (csrc/cuda/simt/simt.h). Written in
// plain CUDA: tests/cpp/test_simt.cpp runs them through the emulator, and CI compiles this same source
// with nvcc (tests/cpp/simt_test_kernels.cu), so the emulator cannot drift into a dialect of its own.
#pragma once
#include "cuda/launch.h"

// One partial sum per block: warp shuffles, then one value per warp through shared memory.
// kSkipBarrier = true is the test-only broken twin: warp 0 may read the per-warp sums before the other
// warps wrote them, which the emulator's shuffled schedule must expose as a wrong result.
template <bool kSkipBarrier>
__global__ void block_sum_kernel(const float* x, int n, float* out) {
  __shared__ float warp_sums[32];
  const int i = int(blockIdx.x * blockDim.x + threadIdx.x);
  float v = i < n ? x[i] : 0.f;
  for (int off = 16; off > 0; off /= 2) v += __shfl_down_sync(0xffffffffu, v, off);
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  if (lane == 0) warp_sums[warp] = v;
  if (!kSkipBarrier) __syncthreads();
  if (warp == 0) {
    v = lane < int(blockDim.x + 31) / 32 ? warp_sums[lane] : 0.f;
    for (int off = 16; off > 0; off /= 2) v += __shfl_xor_sync(0xffffffffu, v, off);
    if (lane == 0) out[blockIdx.x] = v;
  }
}

// The classic shared-memory tree (blockDim.x a power of two), in dynamic shared memory.
__global__ void tree_sum_kernel(const float* x, int n, float* out) {
  FASTNN_DYNAMIC_SHARED(float, s);
  const unsigned t = threadIdx.x;
  const int i = int(blockIdx.x * blockDim.x + t);
  s[t] = i < n ? x[i] : 0.f;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (t < stride) s[t] += s[t + stride];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = s[0];
}

// Warp scan with __shfl_up_sync and a broadcast of lane 0 with __shfl_sync: out[i] = prefix + x[lane 0].
__global__ void warp_scan_kernel(const int* x, int* out) {
  const unsigned lane = threadIdx.x % 32;
  int v = x[threadIdx.x];
  for (unsigned d = 1; d < 32; d *= 2) {
    const int up = __shfl_up_sync(0xffffffffu, v, d);
    if (lane >= d) v += up;
  }
  out[threadIdx.x] = v + __shfl_sync(0xffffffffu, x[threadIdx.x], 0);
}

__device__ float atomic_max_float(float* address, float value) {
  int* a = reinterpret_cast<int*>(address);
  // The first read is atomic too (a CAS that changes nothing): a plain read racing the other threads'
  // CAS is a data race in C++'s model, which ThreadSanitizer reports in the OS-thread emulator.
  int old = atomicCAS(a, 0, 0), assumed;
  do {
    assumed = old;
    old = atomicCAS(a, assumed, __float_as_int(fmaxf(value, __int_as_float(assumed))));
  } while (assumed != old);
  return __int_as_float(old);
}

// Grid-stride: a float4-vectorized total (atomicAdd) and maximum (atomicMax through CAS), 2-D grid.
__global__ void total_and_max_kernel(const float4* x, int n4, float* total, float* maximum) {
  const int stride = int(gridDim.x * gridDim.y * blockDim.x);
  const int start = int((blockIdx.y * gridDim.x + blockIdx.x) * blockDim.x + threadIdx.x);
  float sum = 0.f, best = -INFINITY;
  for (int i = start; i < n4; i += stride) {
    const float4 v = __ldg(x + i);
    sum += (v.x + v.y) + (v.z + v.w);
    best = fmaxf(best, fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w)));
  }
  atomicAdd(total, sum);
  atomic_max_float(maximum, best);
}

// A barrier inside a branch that only part of the block takes: undefined in CUDA, an error here.
__global__ void divergent_barrier_kernel(int* out) {
  if (threadIdx.x < 16) {
    __syncthreads();
    out[threadIdx.x] = 1;
  }
}

// __syncwarp between a write and a read by another lane of the warp, and float2 stores.
__global__ void warp_rotate_kernel(const float* x, float2* out) {
  __shared__ float staged[64];
  const unsigned t = threadIdx.x, lane = t % 32, base = t - lane;
  staged[t] = x[t];
  __syncwarp();
  out[t] = make_float2(staged[base + (lane + 1) % 32], float(lane));
}

inline void launch_warp_rotate(const float* x, float2* out) { FASTNN_LAUNCH(warp_rotate_kernel, 1, 64, 0, cudaStream_t{}, x, out); }

inline void launch_block_sum(const float* x, int n, float* out, int threads, bool skip_barrier) {
  const int blocks = (n + threads - 1) / threads;
  if (skip_barrier) FASTNN_LAUNCH(block_sum_kernel<true>, blocks, threads, 0, cudaStream_t{}, x, n, out);
  else FASTNN_LAUNCH(block_sum_kernel<false>, blocks, threads, 0, cudaStream_t{}, x, n, out);
}
inline void launch_tree_sum(const float* x, int n, float* out, int threads) {
  FASTNN_LAUNCH(tree_sum_kernel, (n + threads - 1) / threads, threads, threads * sizeof(float), cudaStream_t{}, x, n,
                out);
}
inline void launch_warp_scan(const int* x, int* out, int threads) {
  FASTNN_LAUNCH(warp_scan_kernel, 1, threads, 0, cudaStream_t{}, x, out);
}
inline void launch_total_and_max(const float4* x, int n4, float* total, float* maximum) {
  FASTNN_LAUNCH(total_and_max_kernel, dim3(3, 2), 64, 0, cudaStream_t{}, x, n4, total, maximum);
}
inline void launch_divergent_barrier(int* out) { FASTNN_LAUNCH(divergent_barrier_kernel, 1, 32, 0, cudaStream_t{}, out); }
