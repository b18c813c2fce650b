// loss.h — pointwise losses with torch's formulas, forward (sum, or per element) and backward, over
// d = x - y (or x, y as probabilities / logits), an optional elementwise weight w and, for BCE with logits,
// an elementwise pos_weight pw (the caller broadcasts both to x's shape):
//   Mse        d^2                                        grad 2 d
//   L1         |d|                                        grad sign(d) (0 at 0)
//   SmoothL1   |d| < a ? d^2 / (2a) : |d| - a/2           grad |d| < a ? d / a : sign(d)        (a = beta > 0)
//   Huber      |d| < a ? d^2 / 2 : a (|d| - a/2)          grad clamp(d, -a, a)                   (a = delta)
//   Bce        -(y max(log x, -100) + (1 - y) max(log1p(-x), -100))   grad (x - y) / max(x (1 - x), 1e-12)
//   BceLogits  (1 - y) x - lw log_sigmoid(x), lw = (pw - 1) y + 1      grad sigmoid(x) (pw y + 1 - y) - pw y
// each loss and gradient times w where given; gradients times the upstream scale (g[i], or `scale` where g
// is null). Written once over the vector traits of math/activation_math.h (math/loss_math.h).
// bench: fastnn-bench --filter loss
#pragma once
#include <cstdint>

#include "core/loss_params.h"
#include "cpu/registry.h"

namespace fastnn {


struct LossKernels {
  // Sum of the losses of [0, n); writes each to out[i] too unless out is null.
  double (*forward)(const LossArgs& a, float* out);
  // dx[i] = (g ? g[i] : scale) * dloss_i/dx_i
  void (*backward)(const LossArgs& a, const float* g, float scale, float* dx);
};

double loss_f32__ref(const LossArgs& a, float* out);
void loss_backward_f32__ref(const LossArgs& a, const float* g, float scale, float* dx);
#ifdef FASTNN_X86_KERNELS
double loss_f32__avx2(const LossArgs& a, float* out);
void loss_backward_f32__avx2(const LossArgs& a, const float* g, float scale, float* dx);
double loss_f32__avx512(const LossArgs& a, float* out);
void loss_backward_f32__avx512(const LossArgs& a, const float* g, float scale, float* dx);
#endif

double loss_f64(const LossArgs64& a, double* out);
void loss_backward_f64(const LossArgs64& a, const double* g, double scale, double* dx);

const KernelList<LossKernels>& loss_f32_kernels();

}  // namespace fastnn
