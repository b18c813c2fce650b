// pool.h — pooling kernels with ISA variants (the rest of pooling is portable code in ops/pool.cpp).
//   max_pool2x2_backward: one output row of a 2x2, stride-2 max pooling's backward. For each window
//   (r0[2i], r0[2i+1], r1[2i], r1[2i+1]) the argmax in torch's order (a value wins if greater than the
//   best so far, or NaN) receives g[i], the other three 0: d0/d1 are the two input-gradient rows.
// variants: __ref (portable), __avx2 (8 windows per step: deinterleave, compare, blend, interleave).
// bench: fastnn-bench --filter pool
#pragma once
#include <cstdint>

#include "cpu/registry.h"

namespace fastnn {

using MaxPool2x2BackwardFn = void (*)(const float* r0, const float* r1, const float* g, float* d0, float* d1,
                                      int64_t n);

void max_pool2x2_backward_f32__ref(const float* r0, const float* r1, const float* g, float* d0, float* d1, int64_t n);
#ifdef FASTNN_X86_KERNELS
void max_pool2x2_backward_f32__avx2(const float* r0, const float* r1, const float* g, float* d0, float* d1,
                                    int64_t n);
#endif

const KernelList<MaxPool2x2BackwardFn>& max_pool2x2_backward_f32_kernels();

}  // namespace fastnn
