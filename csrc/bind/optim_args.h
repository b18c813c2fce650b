// optim_args.h — the optimizer step's Python arguments (both modules take the same ones) as an OptimBatch
// and OptimHyper (ops/optim.h):
//   kind: "adam" | "sgd" | "rmsprop" | "adagrad"; params, grads, s0, s1, s2: sequences of arrays (a state
//   sequence empty where the step keeps no such state); steps: floats; first: bools;
//   hyper: a dict of lr, weight_decay, eps, maximize, beta1, beta2, decoupled, amsgrad, momentum, dampening,
//   nesterov, alpha, centered, lr_decay (absent keys: 0 / False).
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bind/common.h"
#include "ops/optim.h"

namespace fastnn {
namespace bind {

struct OptimArgs {
  BoundArrays p, g, s0, s1, s2;
  OptimBatch batch;
  OptimHyper hyper;

  OptimArgs(const std::string& kind, py::handle params, py::handle grads, py::handle s0_, py::handle s1_,
            py::handle s2_, const std::vector<double>& steps, const std::vector<bool>& first, const py::dict& hp)
      : p(params), g(grads), s0(s0_), s1(s1_), s2(s2_) {
    batch = OptimBatch{p.views, g.views, s0.views, s1.views, s2.views, steps, first};
    auto num = [&](const char* k) { return hp.contains(k) ? hp[k].cast<double>() : 0.0; };
    auto flag = [&](const char* k) { return hp.contains(k) && hp[k].cast<bool>(); };
    OptimStep& b = hyper.base;
    b.kind = optim_from_name(kind);
    b.lr = num("lr"), b.weight_decay = num("weight_decay"), b.eps = num("eps"), b.maximize = flag("maximize");
    b.beta1 = num("beta1"), b.beta2 = num("beta2"), b.decoupled = flag("decoupled"), b.amsgrad = flag("amsgrad");
    b.momentum = num("momentum"), b.dampening = num("dampening"), b.nesterov = flag("nesterov");
    b.alpha = num("alpha"), b.centered = flag("centered");
    hyper.lr_decay = num("lr_decay");
  }
};

}  // namespace bind
}  // namespace fastnn
