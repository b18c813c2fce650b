// norm.h — batch normalization and layer normalization as torch computes them (CPU; float32 on the
// SIMD kernels of cpu/norm.h, float64 on their scalar form).
//
// batch_norm: x (N, C, *) C-contiguous; statistics per channel over N and the trailing dims (M values).
//   training: the batch's mean and biased variance normalize x; running_mean / running_var (C, optional)
//             become (1 - factor) r + factor * batch value, the variance unbiased (M / (M - 1)) as torch;
//   eval:     the running statistics normalize x.
//   y = (x - mean) * invstd * weight + bias (weight, bias (C) optional); save_mean / save_invstd (C)
//   receive what normalized x (for the backward).
// batch_norm_backward: grad_input (training: through the batch statistics; eval: gy * weight * invstd),
//   grad_weight = sum gy * xhat, grad_bias = sum gy; any of the three may be null.
// layer_norm: x (M, d) viewed as rows of d (d = the numel of normalized_shape); mean, rstd (M) out;
//   weight, bias (d) optional. layer_norm_backward: the three gradients, any may be null.
// Reductions combine in a fixed order: results are the same at any thread count.
#pragma once
#include <string>

#include "core/array_view.h"
#include "core/norm_params.h"

namespace fastnn {


void batch_norm(const ArrayView& x, const ArrayView* weight, const ArrayView* bias, const ArrayView* running_mean,
                const ArrayView* running_var, bool training, double factor, double eps, const ArrayView& y,
                const ArrayView& save_mean, const ArrayView& save_invstd, const std::string& kernel = "");
void batch_norm_backward(const ArrayView& gy, const ArrayView& x, const ArrayView* weight, const ArrayView& save_mean,
                         const ArrayView& save_invstd, bool training, const ArrayView* gx, const ArrayView* gw,
                         const ArrayView* gb, const std::string& kernel = "");
void layer_norm(const ArrayView& x, int64_t d, const ArrayView* weight, const ArrayView* bias, double eps,
                const ArrayView& y, const ArrayView& mean, const ArrayView& rstd, const std::string& kernel = "");
void layer_norm_backward(const ArrayView& gy, const ArrayView& x, int64_t d, const ArrayView* weight,
                         const ArrayView& mean, const ArrayView& rstd, const ArrayView* gx, const ArrayView* gw,
                         const ArrayView* gb, const std::string& kernel = "");

// The checks of the entry points above, for arrays on `device` (the CUDA ops share them).
BnShape check_batch_norm(const ArrayView& x, const ArrayView* weight, const ArrayView* bias,
                         const ArrayView* running_mean, const ArrayView* running_var, bool training, double eps,
                         const ArrayView& y, const ArrayView& save_mean, const ArrayView& save_invstd,
                         DeviceType device);
BnShape check_batch_norm_backward(const ArrayView& gy, const ArrayView& x, const ArrayView* weight,
                                  const ArrayView& save_mean, const ArrayView& save_invstd, const ArrayView* gx,
                                  const ArrayView* gw, const ArrayView* gb, DeviceType device);
// Both return M, the number of rows.
int64_t check_layer_norm(const ArrayView& x, int64_t d, const ArrayView* weight, const ArrayView* bias, double eps,
                         const ArrayView& y, const ArrayView& mean, const ArrayView& rstd, DeviceType device);
int64_t check_layer_norm_backward(const ArrayView& gy, const ArrayView& x, int64_t d, const ArrayView* weight,
                                  const ArrayView& mean, const ArrayView& rstd, const ArrayView* gx, const ArrayView* gw,
                                  const ArrayView* gb, DeviceType device);

}  // namespace fastnn
