// conv_direct_avx2.cpp — AVX2 direct convolution (cpu/conv_direct.h). A register tile is 3 vectors of 8
// consecutive outputs x 4 output channels (12 accumulators + 3 inputs + 1 broadcast = 16 registers).
// The 16-bit lane masks are split into two 8-lane halves and widened to vector masks per tap.
#include <immintrin.h>

#include "cpu/avx2/vmath_avx2.h"
#include "cpu/conv_direct.h"

namespace fastnn {
namespace {

constexpr int kO = 4;  // divides kConvDirectOcBlock, so the packed weights' padding covers every tile
static_assert(kConvDirectOcBlock % kO == 0);

// Vector mask of the 8 lanes of output vector j (8 outputs) from the 16-lane mask words.
inline __m256i lanes(const uint16_t* mask, int64_t j) {
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  const int bits = (mask[j / 2] >> (8 * (j % 2))) & 0xFF;
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(bits), bit), bit);
}

// Every loop over the tile runs a constant count, fully unrolled: acc must be indexed by constants to
// stay in registers (otherwise GCC keeps it on the stack and stores it every step).
template <int V>
inline void tile(const ConvDirectF32& a, int64_t nv16, int64_t v0, int64_t o0) {
  __m256 acc[V][kO];
  #pragma GCC unroll 8
  for (int o = 0; o < kO; ++o) {
    const __m256 b = _mm256_set1_ps(a.bias && o0 + o < a.O ? a.bias[o0 + o] : 0.f);
    #pragma GCC unroll 8
    for (int i = 0; i < V; ++i) acc[i][o] = b;
  }
  for (int64_t t = 0; t < a.taps; ++t) {
    __m256i m[V];
    #pragma GCC unroll 8
    for (int i = 0; i < V; ++i) m[i] = lanes(a.mask + t * nv16, v0 + i);
    // Lanes outside the image are masked off: never read, so x may point before the planes' start.
    const float* x = a.x + (v0 * 8 + a.shift[t]);
    const float* w = a.w + t * a.C * a.ldw + o0;
    for (int64_t c = 0; c < a.C; ++c, x += a.plane, w += a.ldw) {
      __m256 xv[V];
      #pragma GCC unroll 8
      for (int i = 0; i < V; ++i) xv[i] = _mm256_maskload_ps(x + 8 * i, m[i]);
      #pragma GCC unroll 8
      for (int o = 0; o < kO; ++o) {
        const __m256 wv = _mm256_broadcast_ss(w + o);
        #pragma GCC unroll 8
        for (int i = 0; i < V; ++i) acc[i][o] = _mm256_fmadd_ps(xv[i], wv, acc[i][o]);
      }
    }
  }
  const int64_t os = a.O - o0 < kO ? a.O - o0 : kO;
  #pragma GCC unroll 8
  for (int i = 0; i < V; ++i) {
    const int64_t q = (v0 + i) * 8, live = a.P - q;
    if (live >= 8) {
      #pragma GCC unroll 8
      for (int o = 0; o < kO; ++o)
        if (o < os) _mm256_storeu_ps(a.y + (o0 + o) * a.P + q, acc[i][o]);
    } else {  // the plane's last, partial vector
      const __m256i sm = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(live)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
      #pragma GCC unroll 8
      for (int o = 0; o < kO; ++o)
        if (o < os) _mm256_maskstore_ps(a.y + (o0 + o) * a.P + q, sm, acc[i][o]);
    }
  }
}

// Weight gradient of output channels o0 .. o0+OT-1, input channel c, taps t0 .. t0+TT-1, over the run of
// images: OT x TT accumulators of partial sums along q, reduced at the end.
template <int OT, int TT>
inline void wgrad_tile(const ConvDirectWgradF32& a, int64_t nv16, int64_t o0, int64_t c, int64_t t0) {
  __m256 acc[OT][TT];
#pragma GCC unroll 8
  for (int o = 0; o < OT; ++o)
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) acc[o][t] = _mm256_setzero_ps();
  const int64_t nv = (a.P + 7) / 8, tail = a.P - (nv - 1) * 8;
  const __m256i tail_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(tail)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256i all = _mm256_set1_epi32(-1);
  for (int64_t n = 0; n < a.images; ++n) {
    const float* gy = a.gy + n * a.gy_image + o0 * a.P;
    const float* x = a.x + n * a.x_image + c * a.plane;
    for (int64_t v = 0; v < nv; ++v) {
      const __m256i live = v + 1 < nv ? all : tail_mask;
      __m256 g[OT];
#pragma GCC unroll 8
      for (int o = 0; o < OT; ++o) g[o] = _mm256_maskload_ps(gy + o * a.P + v * 8, live);
#pragma GCC unroll 8
      for (int t = 0; t < TT; ++t) {
        // Lanes outside the image are masked off: never read, so the address may lie before the planes.
        const __m256 xv = _mm256_maskload_ps(x + (v * 8 + a.shift[t0 + t]), lanes(a.mask + (t0 + t) * nv16, v));
#pragma GCC unroll 8
        for (int o = 0; o < OT; ++o) acc[o][t] = _mm256_fmadd_ps(g[o], xv, acc[o][t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int o = 0; o < OT; ++o)
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) a.gw[((o0 + o) * a.C + c) * a.taps + t0 + t] += avx2::reduce_add(acc[o][t]);
}

template <int OT>
void wgrad_channels(const ConvDirectWgradF32& a, int64_t nv16, int64_t o0) {
  for (int64_t c = 0; c < a.C; ++c) {
    int64_t t0 = 0;
    for (; a.taps - t0 >= 3; t0 += 3) wgrad_tile<OT, 3>(a, nv16, o0, c, t0);
    for (; t0 < a.taps; ++t0) wgrad_tile<OT, 1>(a, nv16, o0, c, t0);
  }
}

}  // namespace

void conv_direct_wgrad_f32__avx2(const ConvDirectWgradF32& a) {
  const int64_t nv16 = (a.P + kConvDirectLanes - 1) / kConvDirectLanes;
  if (nv16 == 0) return;
  int64_t o0 = 0;
  for (; a.O - o0 >= 3; o0 += 3) wgrad_channels<3>(a, nv16, o0);
  if (a.O - o0 == 2) wgrad_channels<2>(a, nv16, o0);
  if (a.O - o0 == 1) wgrad_channels<1>(a, nv16, o0);
}

void conv_direct_f32__avx2(const ConvDirectF32& a) {
  const int64_t nv16 = (a.P + kConvDirectLanes - 1) / kConvDirectLanes, nv = (a.P + 7) / 8;
  for (int64_t o0 = 0; o0 < a.O; o0 += kO) {
    int64_t v0 = 0;
    for (; nv - v0 >= 3 && nv - v0 != 4; v0 += 3) tile<3>(a, nv16, v0, o0);
    for (; nv - v0 >= 2; v0 += 2) tile<2>(a, nv16, v0, o0);
    if (v0 < nv) tile<1>(a, nv16, v0, o0);
  }
}

}  // namespace fastnn
