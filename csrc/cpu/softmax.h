// softmax.h — the row primitives of softmax, log_softmax and cross-entropy (ops/softmax.cpp builds those
// from them; the rest of each op is portable arithmetic the compiler vectorizes):
//   row_max(x, n)            the largest of x[0..n) (-inf for n = 0; a NaN in x may or may not be returned:
//                            the callers' next step turns any NaN of the row into NaN results either way)
//   exp_sum(x, shift, y, n)  e[i] = exp(x[i] - shift), stored to y[i] unless y is null; returns the sum of e
// exp is the vectorized one of the ISA's traits (math/exp_series.h) in the SIMD variants; tests/test_softmax.py
// measures its error against float64 (under 1 ulp).
// variants: __ref (std::exp), __avx2 (8 lanes), __avx512 (16 lanes, scalef for the 2^k).
// bench: fastnn-bench --filter softmax
#pragma once
#include <cstdint>

#include "cpu/registry.h"

namespace fastnn {

struct SoftmaxKernels {
  float (*row_max)(const float* x, int64_t n);
  float (*exp_sum)(const float* x, float shift, float* y, int64_t n);
};

float row_max_f32__ref(const float* x, int64_t n);
float exp_sum_f32__ref(const float* x, float shift, float* y, int64_t n);
#ifdef FASTNN_X86_KERNELS
float row_max_f32__avx2(const float* x, int64_t n);
float exp_sum_f32__avx2(const float* x, float shift, float* y, int64_t n);
float row_max_f32__avx512(const float* x, int64_t n);
float exp_sum_f32__avx512(const float* x, float shift, float* y, int64_t n);
#endif

const KernelList<SoftmaxKernels>& softmax_f32_kernels();

}  // namespace fastnn
