// loss_params.h — the pointwise loss kinds and one call's arguments (cpu/loss.h has the formulas),
// shared by the CPU and CUDA kernels and the ops.
#pragma once
#include <cstdint>

namespace fastnn {

enum class Loss : int32_t { Mse, L1, SmoothL1, Huber, Bce, BceLogits };

struct LossArgs {
  Loss kind;
  double a;          // beta (SmoothL1) / delta (Huber)
  const float* x;
  const float* y;
  const float* w;    // null: 1
  const float* pw;   // BceLogits only; null: 1
  int64_t n;
};

// float64 (gradcheck): the same fields in double
struct LossArgs64 {
  Loss kind;
  double a;
  const double *x, *y, *w, *pw;
  int64_t n;
};

}  // namespace fastnn
