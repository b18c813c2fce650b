// optim.h — optimizer steps on many tensors in one call (one call per param group): validate, derive the
// per-tensor scalars from the step counts, split the tensors into chunks across threads (cpu/optim.h).
#pragma once
#include <string>
#include <vector>

#include "core/array_view.h"
#include "cpu/optim.h"

namespace fastnn {

// "adam", "sgd", "rmsprop", "adagrad"; Value error otherwise.
Optim optim_from_name(const std::string& name);

// The hyper-parameters of a param group (cpu/optim.h) plus Adagrad's lr_decay.
struct OptimHyper {
  OptimStep base;
  double lr_decay = 0;
};

// The arrays of one step: p and g per tensor, and each state list either empty (the step keeps no such
// state) or one array per tensor. `steps`: each tensor's step count after this step (Adam: bias
// corrections; Adagrad: clr); `first`: Sgd's momentum buffer starts as g. Which states each kind needs:
// cpu/optim.h. Every array contiguous on `device`, one shape and dtype (float32 or float64) per tensor.
struct OptimBatch {
  std::vector<ArrayView> p, g, s0, s1, s2;
  std::vector<double> steps;
  std::vector<bool> first;
};

// Checks the batch; returns each tensor's OptimStep (the step-dependent scalars filled in).
std::vector<OptimStep> check_optimizer_step(const OptimBatch& b, const OptimHyper& hp, DeviceType device);

void optimizer_step(const OptimBatch& b, const OptimHyper& hp, const std::string& kernel = "");

}  // namespace fastnn
