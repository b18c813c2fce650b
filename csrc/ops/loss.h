// loss.h — pointwise loss entry points (cpu/loss.h): validate, pick the kernel (float32) or the float64
// reference, split the work, reduce.
#pragma once
#include <string>

#include "core/array_view.h"
#include "cpu/loss.h"
#include "ops/softmax.h"  // Reduction

namespace fastnn {

// "mse", "l1", "smooth_l1", "huber", "bce", "bce_with_logits"; Value error otherwise.
Loss loss_from_name(const std::string& name);
// The fastnn.ops op a loss's errors name ("mse_loss", "binary_cross_entropy_backward", ...).
std::string loss_op_name(Loss kind, bool backward);

// The loss of x against y (same shape and dtype, contiguous), with optional w and pw (x's shape): out has
// x's shape for Reduction::None, else 1 element (the sum, or the mean: sum / numel, NaN when empty).
void pointwise_loss(Loss kind, double a, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                    const ArrayView* pw, const ArrayView& out, Reduction r, const std::string& kernel = "");
// grad (x's shape) = d(loss)/dx for the upstream gradient grad_output (1 element for mean/sum, x's shape for none).
void pointwise_loss_backward(Loss kind, double a, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                             const ArrayView* pw, const ArrayView& grad_output, const ArrayView& grad, Reduction r,
                             const std::string& kernel = "");

// The checks of the two entry points above for arrays on `device` (shared with the CUDA entry points).
void check_pointwise_loss(Loss kind, const ArrayView& x, const ArrayView& y, const ArrayView* w, const ArrayView* pw,
                          const ArrayView& out, Reduction r, DeviceType device);
void check_pointwise_loss_backward(Loss kind, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                                   const ArrayView* pw, const ArrayView& grad_output, const ArrayView& grad, Reduction r,
                                   DeviceType device);

}  // namespace fastnn
