// fma_peak.h — FP32 FMA throughput kernels: the compute ceiling the benchmark harness reports against.
//   12 independent accumulators per call, acc_j <- acc_j * a + b_j for `iters` iterations (a = 15/16,
//   b_j = (j+1)/16, all exact in binary), so acc_j tends to b_j / (1 - a) = j + 1. Twelve chains hide
//   the FMA latency on two FMA ports (latency 4-5 cycles); distinct b_j keep the compiler from merging
//   chains (identical chains would measure latency, not throughput).
// Returns the sum of every lane of every accumulator (checked by the tests against the closed form)
// and stores the floating-point operations performed (2 per lane per FMA) in *flops.
// variants: __ref (portable: the compiler's SSE2 mul+add), __avx2 (8 lanes), __avx512 (16 lanes).
#pragma once
#include <cstdint>

#include "cpu/registry.h"

namespace fastnn {

using FmaPeakFn = float (*)(int64_t iters, double* flops);

float fma_peak_f32__ref(int64_t iters, double* flops);
#ifdef FASTNN_X86_KERNELS
float fma_peak_f32__avx2(int64_t iters, double* flops);
float fma_peak_f32__avx512(int64_t iters, double* flops);
#endif

const KernelList<FmaPeakFn>& fma_peak_f32_kernels();

}  // namespace fastnn
