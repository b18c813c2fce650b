// conv_direct_ref.cpp — portable direct convolution (cpu/conv_direct.h); the oracle of the SIMD variants.
#include "cpu/conv_direct.h"

namespace fastnn {

void conv_direct_f32__ref(const ConvDirectF32& a) {
  const int64_t nv = (a.P + kConvDirectLanes - 1) / kConvDirectLanes;
  for (int64_t o = 0; o < a.O; ++o) {
    float* y = a.y + o * a.P;
    for (int64_t q = 0; q < a.P; ++q) y[q] = a.bias ? a.bias[o] : 0.f;
    for (int64_t t = 0; t < a.taps; ++t)
      for (int64_t c = 0; c < a.C; ++c) {
        const float wv = a.w[(t * a.C + c) * a.ldw + o];
        const float* x = a.x + c * a.plane + a.shift[t];
        for (int64_t q = 0; q < a.P; ++q)
          if (a.mask[t * nv + q / kConvDirectLanes] >> (q % kConvDirectLanes) & 1) y[q] += wv * x[q];
      }
  }
}

void conv_direct_wgrad_f32__ref(const ConvDirectWgradF32& a) {
  const int64_t nv = (a.P + kConvDirectLanes - 1) / kConvDirectLanes;
  for (int64_t o = 0; o < a.O; ++o)
    for (int64_t c = 0; c < a.C; ++c)
      for (int64_t t = 0; t < a.taps; ++t) {
        float sum = 0.f;
        for (int64_t n = 0; n < a.images; ++n) {
          const float* gy = a.gy + n * a.gy_image + o * a.P;
          const float* x = a.x + n * a.x_image + c * a.plane + a.shift[t];
          for (int64_t q = 0; q < a.P; ++q)
            if (a.mask[t * nv + q / kConvDirectLanes] >> (q % kConvDirectLanes) & 1) sum += gy[q] * x[q];
        }
        a.gw[(o * a.C + c) * a.taps + t] += sum;
      }
}

}  // namespace fastnn
