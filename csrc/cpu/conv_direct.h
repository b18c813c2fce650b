// conv_direct.h — stride-1 convolution without a col buffer, vectorized along the flattened output.
// One call computes one image's O output planes (of one group) from its C input planes:
//   y[o, q] = bias[o] + sum over taps t, channels c of  w[(t * C + c) * ldw + o] * x[c * plane + q + shift[t]]
// for q < P, where the term of tap t at q counts only if bit (q % 16) of mask[t * nv + q / 16] is set
// (nv = ceil(P / 16)). Masked lanes are never read: the caller's masks encode the padding, so x needs no
// padded copy. Possible because the output rows are as wide as the input rows (stride 1, the
// horizontal padding equals the kernel's extent): then x[oh + dy, ow + dx] = x_flat[q + dy * W + dx].
// The input gradient is the same correlation with other offsets (ops/conv.cpp builds both).
// w is packed by the caller; ldw >= O rounded up to kConvDirectOcBlock, the padding columns zero.
//
// The weight gradient (wgrad) of the same convolution, for a run of images:
//   gw[(o * C + c) * taps + t] += sum over images n, q < P of  gy_n[o * P + q] * x_n[c * plane + q + shift[t]]
// (the same masks), vectorized along q: each accumulator is a vector of partial sums over q, reduced
// horizontally once per run of images (the caller keeps a run's planes within L2). The AVX-512 variant
// instead copies the run's x with zero borders and gy transposed (q-major, channels contiguous), then runs
// GEMM-like tiles: 6 rows (c, t) x 64 output channels, 6 broadcasts + 4 aligned loads per 24 FMAs (the
// masked form needed 12 unaligned loads per 27 FMAs and ran at ~40% of the FMA peak).
//
// variants: __ref (portable), __avx2 (8-lane vectors; forward 3 vectors x 4 output channels per tile,
// wgrad 3 output channels x 3 taps), __avx512 (16-lane vectors; forward 3 vectors x 8 output channels: 24
// accumulators, 11 loads per 24 FMAs; wgrad as above). One registry entry holds both functions of a variant.
// bench: fastnn-bench --filter conv
#pragma once
#include <cstdint>

#include "cpu/registry.h"

namespace fastnn {

inline constexpr int64_t kConvDirectOcBlock = 8;  // output channels per register tile (ldw's multiple)
inline constexpr int64_t kConvDirectLanes = 16;   // outputs per mask word

struct ConvDirectF32 {
  const float* x;        // C input planes, `plane` floats apart
  int64_t C, plane;
  const float* w;        // packed weights, see above
  int64_t ldw;
  const float* bias;     // O values, or null for 0
  float* y;              // O output planes of P floats, contiguous
  int64_t O, P;
  int64_t taps;          // number of taps (KH * KW)
  const int64_t* shift;  // taps offsets
  const uint16_t* mask;  // taps * nv lane masks
};

struct ConvDirectWgradF32 {
  const float* gy;       // per image: O planes of P floats (the output gradient), images gy_image apart
  int64_t O, P, gy_image;
  const float* x;        // per image: C input planes, `plane` floats apart, images x_image apart
  int64_t C, plane, x_image;
  int64_t images;
  int64_t taps;
  const int64_t* shift;
  const uint16_t* mask;
  float* gw;             // (O, C, taps), accumulated into
  // The same geometry unflattened (for kernels that pad x instead of masking): input rows H, rows W
  // wide (the output's too), OH output rows, a KH x KW kernel with dilation DH, DW and padding PT, PL.
  int64_t H, W, OH, KH, KW, DH, DW, PT, PL;
};

using ConvDirectFn = void (*)(const ConvDirectF32&);
using ConvDirectWgradFn = void (*)(const ConvDirectWgradF32&);
struct ConvDirectKernels {
  ConvDirectFn forward;
  ConvDirectWgradFn wgrad;
};

void conv_direct_f32__ref(const ConvDirectF32& a);
void conv_direct_wgrad_f32__ref(const ConvDirectWgradF32& a);
#ifdef FASTNN_X86_KERNELS
void conv_direct_f32__avx2(const ConvDirectF32& a);
void conv_direct_wgrad_f32__avx2(const ConvDirectWgradF32& a);
void conv_direct_f32__avx512(const ConvDirectF32& a);
void conv_direct_wgrad_f32__avx512(const ConvDirectWgradF32& a);
#endif

const KernelList<ConvDirectKernels>& conv_direct_f32_kernels();

}  // namespace fastnn
