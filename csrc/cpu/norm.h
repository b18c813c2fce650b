// norm.h — the inner loops of batch normalization and layer normalization (ops/norm.cpp composes them).
// Two layouts: "planar" runs of n contiguous elements that share one channel's (or one row's) scalars,
// and "rows" of c contiguous elements whose lane j belongs to channel j (BatchNorm1d on (N, C)):
//   stats        s1 += sum (x - k),  s2 += sum (x - k)^2      (k: a shift, the channel's first element,
//                                                             so that the variance does not cancel)
//   affine       y = (x - m) a + b                            (x - m first: exact where var ~ 0)
//   grad_sums    sg += sum gy,  sgx += sum gy (x - m)
//   lincomb      gx = k1 gy + k2 (x - m) + k3                 (batch norm's input gradient, folded)
//   ln_forward   y = (x - mean) rstd w + b                    (w, b per lane; null: 1, 0)
//   ln_backward  gx = rstd (gy w - A / d - xhat B / d), A = sum gy w, B = sum gy w xhat;
//   ln_param_grads  dw = sum over rows gy xhat, db = sum gy   (a block of rows, column by column in
//                registers: written once, not read-modified-written per row)
// Sums accumulate in several vector registers and leave them in double. Written once over the vector
// traits (cpu/norm_math.h); float64 runs the same code on the scalar traits.
// bench: fastnn-bench --filter norm
#pragma once
#include <cstdint>

#include "cpu/registry.h"

namespace fastnn {

template <class E>
struct NormKernelsT {
  void (*stats)(const E* x, int64_t n, E k, double* s1, double* s2);
  void (*affine)(const E* x, E* y, int64_t n, E m, E a, E b);
  void (*grad_sums)(const E* gy, const E* x, int64_t n, E m, double* sg, double* sgx);
  void (*lincomb)(const E* gy, const E* x, E* gx, int64_t n, E m, E k1, E k2, E k3);
  // rows x[r * c + j], r < rows, j < c; the per-channel arrays have c entries
  void (*stats_rows)(const E* x, int64_t rows, int64_t c, const E* k, double* s1, double* s2);
  void (*affine_rows)(const E* x, E* y, int64_t rows, int64_t c, const E* m, const E* a, const E* b);
  void (*grad_sums_rows)(const E* gy, const E* x, int64_t rows, int64_t c, const E* m, double* sg, double* sgx);
  void (*lincomb_rows)(const E* gy, const E* x, E* gx, int64_t rows, int64_t c, const E* m, const E* k1,
                       const E* k2, const E* k3);
  void (*ln_forward)(const E* x, E* y, int64_t d, E mean, E rstd, const E* w, const E* b);
  void (*ln_backward)(const E* gy, const E* x, E* gx, int64_t d, E mean, E rstd, const E* w);
  // rows of d; mean, rstd per row; dw, db (d) overwritten, either may be null
  void (*ln_param_grads)(const E* gy, const E* x, int64_t rows, int64_t d, const E* mean, const E* rstd, E* dw, E* db);
};
using NormKernels = NormKernelsT<float>;

NormKernels norm_f32__ref();
#ifdef FASTNN_X86_KERNELS
NormKernels norm_f32__avx2();
NormKernels norm_f32__avx512();
#endif
const NormKernelsT<double>& norm_f64();

const KernelList<NormKernels>& norm_f32_kernels();

}  // namespace fastnn
