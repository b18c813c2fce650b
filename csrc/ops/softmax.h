// softmax.h — softmax, log_softmax and cross-entropy entry points: validate, pick the row primitives
// (cpu/softmax.h), split rows across threads.
#pragma once
#include <cstdint>
#include <string>

#include "core/array_view.h"
#include "core/softmax_params.h"

namespace fastnn {

// y = softmax(x) (log: log_softmax) along dimension dim of x (contiguous, any rank >= 1; viewed as
// (outer, D, inner)). y: x's shape and dtype, may be x itself. Rows (inner = 1) run the SIMD primitives;
// other dims a portable loop over the inner positions.
void softmax(const ArrayView& x, const ArrayView& y, int64_t dim, bool log, const std::string& kernel = "");
// gx = softmax's gradient from gy and its output y: y * (gy - sum(gy * y)), or for log_softmax
// gy - exp(y) * sum(gy), sums along dim. gx may be gy itself.
void softmax_backward(const ArrayView& gy, const ArrayView& y, const ArrayView& gx, int64_t dim, bool log,
                      const std::string& kernel = "");

// The checks of softmax / softmax_backward for arrays on `device` (shared with the CUDA entry points), and
// x's layout around dim.
SoftmaxLayout check_softmax(const ArrayView& x, const ArrayView& y, int64_t dim, bool log, DeviceType device);
SoftmaxLayout check_softmax_backward(const ArrayView& gy, const ArrayView& y, const ArrayView& gx, int64_t dim,
                                     bool log, DeviceType device);


// Cross-entropy of x (N, C) as torch.nn.functional.cross_entropy / nll_loss, per p.form, with optional class
// weights (C). Indices / Nll: target[0..N) int64 class indices (ignore_index rows count nothing; probs null).
// Probs: probs (N, C) of x's dtype (target null).
//   loss: (N) for Reduction::None, else a 1-element array: the sum, or the mean (Indices / Nll: over the weights
//         of the rows kept; Probs: over N).
//   grad: null, or x's shape: the gradient of the loss for an upstream gradient grad_output (null: 1; one
//         value for mean/sum, N values for none), computed in the same pass over each row.
// Raises Index errors for class indices outside [0, C) other than ignore_index.
void cross_entropy(const ArrayView& x, const int64_t* target, const ArrayView* probs, const ArrayView* weight,
                   const ArrayView& loss, const ArrayView* grad, const ArrayView* grad_output,
                   const CrossEntropyParams& p, const std::string& kernel = "");

// The rows of a call that passed check_cross_entropy.
template <class T>
CrossEntropyRows<T> cross_entropy_rows(const ArrayView& x, const int64_t* target, const ArrayView* probs,
                                       const ArrayView* weight, const ArrayView& loss, const ArrayView* grad,
                                       const ArrayView* grad_output, const CrossEntropyParams& p) {
  auto in = [](const ArrayView* v) { return v ? v->as<const T>() : nullptr; };
  return CrossEntropyRows<T>{x.as<const T>(), target, in(probs), in(weight),
                             p.reduction == Reduction::None ? loss.as<T>() : nullptr, grad ? grad->as<T>() : nullptr,
                             in(grad_output), x.shape[0], x.shape[1], p};
}

// cross_entropy's checks of everything but the class indices' values, for arrays on `device`.
void check_cross_entropy(const ArrayView& x, const int64_t* target, const ArrayView* probs, const ArrayView* weight,
                         const ArrayView& loss, const ArrayView* grad, const ArrayView* grad_output,
                         const CrossEntropyParams& p, DeviceType device);

}  // namespace fastnn
