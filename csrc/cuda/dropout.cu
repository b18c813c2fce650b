// dropout.cu — inverted dropout on CUDA with the CPU's counter-based stream (ops/dropout.h): the same seed
// gives the same mask bits on either device. The same source runs on the CPU through the SIMT emulator.
//   forward: one thread per mask byte (8 elements, 4 splitmix64 draws), grid-stride; the byte is written
//     whole, so no two threads share a byte.
//   backward: one thread per element reads its bit.
// bench: fastnn-bench --filter dropout (GPU columns when a GPU is present)
#include "cuda/dropout.h"

#include <cstdint>

#include "math/rng.h"

namespace fastnn {
namespace cuda {
namespace {

template <class T>
__global__ void dropout_kernel(const T* x, T* y, uint8_t* mask, int64_t n, uint32_t threshold, T scale,
                               uint64_t seed) {
  const int64_t bytes = (n + 7) / 8;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < bytes; b += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i0 = b * 8, stop = i0 + 8 < n ? i0 + 8 : n;
    unsigned bits = 0;
    for (int64_t j = i0; j < stop; j += 2) {
      const uint64_t h = splitmix64(seed + uint64_t(j / 2));
      const bool k0 = uint32_t(h) >= threshold, k1 = uint32_t(h >> 32) >= threshold;
      bits |= unsigned(k0) << (j - i0);
      y[j] = k0 ? x[j] * scale : T(0);
      if (j + 1 < stop) {
        bits |= unsigned(k1) << (j + 1 - i0);
        y[j + 1] = k1 ? x[j + 1] * scale : T(0);
      }
    }
    mask[b] = uint8_t(bits);
  }
}

template <class T>
__global__ void dropout_backward_kernel(const T* dy, const uint8_t* mask, T* dx, int64_t n, T scale) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    dx[i] = (mask[i / 8] >> (i % 8) & 1) ? dy[i] * scale : T(0);
}

}  // namespace

template <class T>
void dropout(const T* x, T* y, uint8_t* mask, int64_t n, uint32_t threshold, double scale, uint64_t seed,
             cudaStream_t stream) {
  launch_grid_stride(dropout_kernel<T>, (n + 7) / 8, stream, x, y, mask, n, threshold, T(scale), seed);
}

template <class T>
void dropout_backward(const T* dy, const uint8_t* mask, T* dx, int64_t n, double scale, cudaStream_t stream) {
  launch_grid_stride(dropout_backward_kernel<T>, n, stream, dy, mask, dx, n, T(scale));
}

template void dropout<float>(const float*, float*, uint8_t*, int64_t, uint32_t, double, uint64_t, cudaStream_t);
template void dropout<double>(const double*, double*, uint8_t*, int64_t, uint32_t, double, uint64_t, cudaStream_t);
template void dropout_backward<float>(const float*, const uint8_t*, float*, int64_t, double, cudaStream_t);
template void dropout_backward<double>(const double*, const uint8_t*, double*, int64_t, double, cudaStream_t);

}  // namespace cuda
}  // namespace fastnn
