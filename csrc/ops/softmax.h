// softmax.h — softmax, log_softmax and cross-entropy entry points: validate, pick the row primitives
// (cpu/softmax.h), split rows across threads.
#pragma once
#include <cstdint>
#include <string>

#include "core/array_view.h"

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
// x's shape seen as (outer, D, inner) around dim.
struct SoftmaxLayout {
  int64_t outer, D, inner;
};
SoftmaxLayout check_softmax(const ArrayView& x, const ArrayView& y, int64_t dim, bool log, DeviceType device);
SoftmaxLayout check_softmax_backward(const ArrayView& gy, const ArrayView& y, const ArrayView& gx, int64_t dim,
                                     bool log, DeviceType device);

enum class Reduction : int { None = 0, Mean = 1, Sum = 2 };

// What cross_entropy's input and target are:
//   Indices  logits x against class indices            torch.nn.functional.cross_entropy
//   Nll      log-probabilities x against class indices  torch.nn.functional.nll_loss (no label smoothing)
//   Probs    logits x against class probabilities (x's shape; label smoothing mixes in eps / C)
enum class CeForm : int { Indices = 0, Nll = 1, Probs = 2 };

struct CrossEntropyParams {
  int64_t ignore_index = -100;
  double label_smoothing = 0.0;
  Reduction reduction = Reduction::Mean;
  CeForm form = CeForm::Indices;
};

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
// One call's rows as raw pointers of element type T, what the CPU and CUDA kernels read: the class
// indices (Indices, Nll) or probabilities (Probs), optional weights and upstream gradient; loss_rows: the
// per-row losses (Reduction::None) or null; grad: null for the loss only.
template <class T>
struct CrossEntropyRows {
  const T* x;
  const int64_t* target;
  const T* probs;
  const T* weight;
  T* loss_rows;
  T* grad;
  const T* grad_output;
  int64_t N, C;
  CrossEntropyParams p;
};

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
