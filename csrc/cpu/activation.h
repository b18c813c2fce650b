// activation.h — elementwise activations, forward and backward, with torch's formulas and NaN behaviour.
//   forward  y = f(x);  backward dx = dy * f'(.) from the operand torch's autograd saves (`s` below):
//   LeakyRelu  x > 0 ? x : a*x                           s = x  (a = negative_slope)
//   Elu        x > 0 ? x : a*expm1(x)                    s = x  (a = alpha); EluResult: s = y (in place)
//   Sigmoid    1 / (1 + exp(-x))                         s = y
//   Tanh       tanh(x)                                   s = y
//   Gelu       x/2 (1 + erf(x / sqrt(2)))                s = x  (erf: math/erf_table.h)
//   GeluTanh   x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))   s = x
//   Silu       x / (1 + exp(-x))                         s = x
//   Hardtanh   min(max(x, a), b), NaN passes             s = x  (a = min_val, b = max_val; dx = 0 unless a < x < b)
//   Softplus   b*x > c ? x : log1p(exp(b*x)) / b         s = x  (b = beta, c = threshold; params a = beta, b = threshold)
// The math is written once (math/activation_math.h) over a "vector traits" type; each ISA supplies the
// traits: the reference uses libm on scalars (float or double), AVX2 and AVX-512 their vectorized exp/log
// (tanh, expm1, log1p built on them: a few ulp, measured in tests/test_activations.py).
// Kernels see one thread's contiguous chunk; ops/activation.cpp splits the work.
// bench: fastnn-bench --filter activation
#pragma once
#include <cstdint>

#include "core/activation_params.h"
#include "cpu/registry.h"

namespace fastnn {


// stream: write the output with non-temporal stores (for outputs larger than the last-level cache)
struct ActivationKernels {
  void (*forward)(Act act, const ActParams& p, const float* x, float* y, int64_t n, bool stream);
  void (*backward)(Act act, const ActParams& p, const float* dy, const float* s, float* dx, int64_t n, bool stream);
};

void activation_f32__ref(Act act, const ActParams& p, const float* x, float* y, int64_t n, bool stream);
void activation_backward_f32__ref(Act act, const ActParams& p, const float* dy, const float* s, float* dx, int64_t n,
                                  bool stream);
// float64 (gradcheck) runs the reference math in double
void activation_f64(Act act, const ActParams& p, const double* x, double* y, int64_t n);
void activation_backward_f64(Act act, const ActParams& p, const double* dy, const double* s, double* dx, int64_t n);
#ifdef FASTNN_X86_KERNELS
void activation_f32__avx2(Act act, const ActParams& p, const float* x, float* y, int64_t n, bool stream);
void activation_backward_f32__avx2(Act act, const ActParams& p, const float* dy, const float* s, float* dx, int64_t n,
                                   bool stream);
void activation_f32__avx512(Act act, const ActParams& p, const float* x, float* y, int64_t n, bool stream);
void activation_backward_f32__avx512(Act act, const ActParams& p, const float* dy, const float* s, float* dx,
                                     int64_t n, bool stream);
#endif

const KernelList<ActivationKernels>& activation_f32_kernels();

}  // namespace fastnn
