// launch.h — what lets one kernel source serve both builds: nvcc (fastnn._C_cuda) and the host compiler
// through the SIMT emulator (FASTNN_SIMT defined; tests and CI without a GPU).
//   FASTNN_LAUNCH(kernel, grid, block, shared_bytes, stream, args...)   every launch goes through this
//   FASTNN_DYNAMIC_SHARED(type, name)                                   extern __shared__ type name[]
//   FASTNN_CUDA_CHECK(expr)                                             a CUDA error becomes an exception
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#if defined(FASTNN_SIMT)
#include "cuda/simt/simt.h"
#define FASTNN_LAUNCH(kernel, grid, block, shared_bytes, stream, ...) \
  ((void)(stream), ::simt::launch(kernel, grid, block, shared_bytes, __VA_ARGS__))
#define FASTNN_DYNAMIC_SHARED(type, name) type* name = ::simt::dynamic_shared<type>()
#else
#include <cuda_runtime.h>
#define FASTNN_LAUNCH(kernel, grid, block, shared_bytes, stream, ...) \
  kernel<<<(grid), (block), (shared_bytes), (stream)>>>(__VA_ARGS__)
#define FASTNN_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif

namespace fastnn {
namespace cuda {
// Grid-stride kernels over `items` elements: blocks of kGridStrideBlock threads, at most 65535 blocks.
// (Shared here: the emulator build compiles every .cu file into one translation unit.)
constexpr int kGridStrideBlock = 256;
inline int grid_stride_blocks(int64_t items) {
  const int64_t blocks = (items + kGridStrideBlock - 1) / kGridStrideBlock;
  return int(blocks < 65535 ? blocks : 65535);
}
}  // namespace cuda

class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
}  // namespace fastnn

#define FASTNN_CUDA_CHECK(expr)                                                                        \
  do {                                                                                                 \
    const cudaError_t fastnn_err_ = (expr);                                                            \
    if (fastnn_err_ != cudaSuccess)                                                                    \
      throw ::fastnn::CudaError(std::string(#expr) + " failed at " __FILE__ ":" + std::to_string(__LINE__) + \
                                ": " + cudaGetErrorString(fastnn_err_));                               \
  } while (0)

#if defined(__CUDACC__) || defined(FASTNN_SIMT)  // kernel sources only: host .cpp files cannot launch
namespace fastnn {
namespace cuda {
// A grid-stride kernel over `items` elements on `stream`: nothing for none, the launch checked.
template <class... KArgs, class... Args>
void launch_grid_stride(void (*kernel)(KArgs...), int64_t items, cudaStream_t stream, Args... args) {
  if (items <= 0) return;
  FASTNN_LAUNCH(kernel, grid_stride_blocks(items), kGridStrideBlock, 0, stream, args...);
  FASTNN_CUDA_CHECK(cudaGetLastError());
}

// Device scratch of n elements for one call, freed on every exit path (cudaMalloc / cudaFree: simple;
// a caching allocator would save their ~0.1 ms).
template <class T>
struct DeviceScratch {
  T* p = nullptr;
  explicit DeviceScratch(int64_t n) {
    if (n > 0) FASTNN_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&p), size_t(n) * sizeof(T)));
  }
  ~DeviceScratch() {
    if (p) (void)cudaFree(p);
  }
  DeviceScratch(const DeviceScratch&) = delete;
  DeviceScratch& operator=(const DeviceScratch&) = delete;
};
}  // namespace cuda
}  // namespace fastnn
#endif
