// dropout_ref.cpp — dropout's portable kernels (cpu/dropout.h): the draw is a few 64-bit multiplies per
// two elements (math/rng.h), so there is nothing for SIMD variants to win over the memory traffic.
#include <algorithm>

#include "cpu/dropout.h"
#include "math/rng.h"

namespace fastnn {

template <class T>
void dropout_chunk(const T* x, T* y, uint8_t* mask, int64_t begin, int64_t end, uint32_t threshold, T scale,
                   uint64_t seed) {
  for (int64_t i = begin; i < end; i += 8) {
    uint8_t bits = 0;
    const int64_t stop = std::min<int64_t>(end, i + 8);
    for (int64_t j = i; j < stop; j += 2) {
      const uint64_t h = splitmix64(seed + uint64_t(j / 2));
      const bool k0 = uint32_t(h) >= threshold, k1 = uint32_t(h >> 32) >= threshold;
      bits = uint8_t(bits | (k0 << (j - i)));
      y[j] = k0 ? x[j] * scale : T(0);
      if (j + 1 < stop) {
        bits = uint8_t(bits | (k1 << (j + 1 - i)));
        y[j + 1] = k1 ? x[j + 1] * scale : T(0);
      }
    }
    mask[i / 8] = bits;
  }
}

template <class T>
void dropout_backward_chunk(const T* dy, const uint8_t* mask, T* dx, int64_t begin, int64_t end, T scale) {
  for (int64_t i = begin; i < end; ++i) dx[i] = (mask[i / 8] >> (i % 8) & 1) ? dy[i] * scale : T(0);
}

template void dropout_chunk<float>(const float*, float*, uint8_t*, int64_t, int64_t, uint32_t, float, uint64_t);
template void dropout_chunk<double>(const double*, double*, uint8_t*, int64_t, int64_t, uint32_t, double, uint64_t);
template void dropout_backward_chunk<float>(const float*, const uint8_t*, float*, int64_t, int64_t, float);
template void dropout_backward_chunk<double>(const double*, const uint8_t*, double*, int64_t, int64_t, double);

}  // namespace fastnn
