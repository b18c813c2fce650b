// cross_entropy_args.h — the cross_entropy binding's Python arguments (both modules take the same ones, the
// CUDA one with a stream instead of a kernel name): x, weight, loss, grad, grad_output, probs (arrays, the
// optional ones None), target (the address of the N int64 class indices: 0 when N = 0 or for class
// probabilities), ignore_index, label_smoothing, reduction 0/1/2 = none/mean/sum, form 0/1/2 =
// indices/nll/probs (ops/softmax.h). Held for the call; the views are what the entry points take.
#pragma once
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>

#include "bind/common.h"
#include "ops/softmax.h"

namespace fastnn {
namespace bind {

struct CrossEntropyArgs {
  BoundArray x, loss;
  std::unique_ptr<BoundArray> weight, grad, grad_output, probs;
  const int64_t* target;
  CrossEntropyParams params;

  CrossEntropyArgs(py::handle x_, py::handle weight_, py::handle loss_, py::handle grad_, py::handle grad_output_,
                   py::handle probs_, uintptr_t target_, int64_t ignore_index, double label_smoothing, int reduction,
                   int form)
      : x(x_), loss(loss_), weight(optional_array(weight_)), grad(optional_array(grad_)),
        grad_output(optional_array(grad_output_)), probs(optional_array(probs_)),
        target(reinterpret_cast<const int64_t*>(target_)) {
    if (reduction < 0 || reduction > 2) fail(ErrorKind::Value, "cross_entropy: reduction code ", reduction);
    if (form < 0 || form > 2) fail(ErrorKind::Value, "cross_entropy: form code ", form);
    params = CrossEntropyParams{ignore_index, label_smoothing, Reduction(reduction), CeForm(form)};
  }
};

}  // namespace bind
}  // namespace fastnn
