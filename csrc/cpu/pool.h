// pool.h — pooling kernels on one (n, c) plane (ops/pool.cpp shares the planes out among the threads):
//   max_pool2d_plane / avg_pool2d_plane and their backwards: torch's windows (padding, dilation, ceil
//   mode, count_include_pad, divisor_override), torch's argmax order and NaN rule (a value wins if greater
//   than the best so far, or NaN); the max backward recomputes each window's argmax from x instead of
//   reading stored indices. Portable (cpu/ref/pool_ref.cpp), float and double.
//   max_pool2x2_backward: one output row of a 2x2, stride-2 max pooling's backward. For each window
//   (r0[2i], r0[2i+1], r1[2i], r1[2i+1]) the argmax in torch's order (a value wins if greater than the
//   best so far, or NaN) receives g[i], the other three 0: d0/d1 are the two input-gradient rows.
// variants: __ref (portable), __avx2 (8 windows per step: deinterleave, compare, blend, interleave).
// bench: fastnn-bench --filter pool
#pragma once
#include <cstdint>

#include "core/pool_params.h"
#include "cpu/registry.h"

namespace fastnn {

// s: the call's sizes (its plane count unused); x, gx: one plane (H, W); y, gy, indices: one plane (OH, OW).
template <class T>
void max_pool2d_plane(const Pool2dShape& s, const Pool2dParams& p, const T* x, T* y, int64_t* indices);
template <class T>
void max_pool2d_backward_plane(const Pool2dShape& s, const Pool2dParams& p, const T* x, const T* gy, T* gx);
template <class T>
void avg_pool2d_plane(const Pool2dShape& s, const Pool2dParams& p, const T* x, T* y);
template <class T>
void avg_pool2d_backward_plane(const Pool2dShape& s, const Pool2dParams& p, const T* gy, T* gx);
// 2x2 windows, stride 2, no padding, dilation or ceil-mode overhang (the seed networks' pooling).
bool pool2d_is_plain_2x2(const Pool2dShape& s, const Pool2dParams& p);

using MaxPool2x2BackwardFn = void (*)(const float* r0, const float* r1, const float* g, float* d0, float* d1,
                                      int64_t n);

void max_pool2x2_backward_f32__ref(const float* r0, const float* r1, const float* g, float* d0, float* d1, int64_t n);
#ifdef FASTNN_X86_KERNELS
void max_pool2x2_backward_f32__avx2(const float* r0, const float* r1, const float* g, float* d0, float* d1,
                                    int64_t n);
#endif

const KernelList<MaxPool2x2BackwardFn>& max_pool2x2_backward_f32_kernels();

// max_pool2d_backward_plane on a plain 2x2 plane, by rows of a max_pool2x2_backward_f32 variant.
void max_pool2d_backward_plane_2x2(const Pool2dShape& s, const float* x, const float* gy, float* gx,
                                   MaxPool2x2BackwardFn row);

}  // namespace fastnn
