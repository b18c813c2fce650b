// softmax_params.h — softmax's row layout, the loss reductions and cross-entropy's parameters and rows,
// shared by the CPU and CUDA kernels and the ops (ops/softmax.h).
#pragma once
#include <cstdint>

namespace fastnn {

// x's shape seen as (outer, D, inner) around the softmax dimension.
struct SoftmaxLayout {
  int64_t outer, D, inner;
};

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

}  // namespace fastnn
