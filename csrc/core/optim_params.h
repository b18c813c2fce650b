// optim_params.h — the optimizer kinds, one step's hyper-parameters and one tensor chunk's arrays
// (cpu/optim.h has the updates), shared by the CPU and CUDA kernels and the ops.
#pragma once
#include <cstdint>

namespace fastnn {

enum class Optim : int32_t { Adam, Sgd, RmsProp, Adagrad };

// One tensor's step: the hyper-parameters and the scalars the host derives from them and the step count.
struct OptimStep {
  Optim kind = Optim::Adam;
  double lr = 0, weight_decay = 0, eps = 0;
  bool maximize = false;
  double beta1 = 0, beta2 = 0, step_size = 0, bc2_sqrt = 1;  // Adam
  bool decoupled = false, amsgrad = false;                    // Adam: AdamW's decay; the max of v
  double momentum = 0, dampening = 0;                         // Sgd, RmsProp (momentum)
  bool nesterov = false, first = false;                       // Sgd; first: the momentum buffer starts as g
  double alpha = 0;                                           // RmsProp
  bool centered = false;                                      // RmsProp
  double clr = 0;                                             // Adagrad
};

// A chunk of one tensor: p and g, up to three state arrays (null where the step keeps none), n elements.
template <class E>
struct OptimTensor {
  E* p;
  const E* g;
  E* s0;
  E* s1;
  E* s2;
  int64_t n;
};

}  // namespace fastnn
