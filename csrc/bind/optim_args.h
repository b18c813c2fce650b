// optim_args.h — the optimizer step's Python arguments (both modules take the same ones) as an OptimBatch
// and OptimHyper (ops/optim.h):
//   kind: "adam" | "sgd" | "rmsprop" | "adagrad"; params, grads, s0, s1, s2: sequences of arrays (a state
//   sequence empty where the step keeps no such state); steps: floats; first: bools;
//   hyper: a dict of lr, weight_decay, eps, maximize, beta1, beta2, decoupled, amsgrad, momentum, dampening,
//   nesterov, alpha, centered, lr_decay (absent keys: 0 / False).
// optimizer_step_flat takes, instead of the array sequences, a dtype name, the device index and five
// (addresses, sizes) lists of contiguous arrays (what fastnn.ops passes for plain torch tensors: building
// a view descriptor per array costs ~1 us of Python each).
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bind/common.h"
#include "ops/optim.h"

namespace fastnn {
namespace bind {

inline OptimHyper optim_hyper(const std::string& kind, const py::dict& hp) {
  auto num = [&](const char* k) { return hp.contains(k) ? hp[k].cast<double>() : 0.0; };
  auto flag = [&](const char* k) { return hp.contains(k) && hp[k].cast<bool>(); };
  OptimHyper hyper;
  OptimStep& b = hyper.base;
  b.kind = optim_from_name(kind);
  b.lr = num("lr"), b.weight_decay = num("weight_decay"), b.eps = num("eps"), b.maximize = flag("maximize");
  b.beta1 = num("beta1"), b.beta2 = num("beta2"), b.decoupled = flag("decoupled"), b.amsgrad = flag("amsgrad");
  b.momentum = num("momentum"), b.dampening = num("dampening"), b.nesterov = flag("nesterov");
  b.alpha = num("alpha"), b.centered = flag("centered");
  hyper.lr_decay = num("lr_decay");
  return hyper;
}

// The lean form for torch tensors Python has checked to be contiguous, of one dtype and on one device:
// per list, the addresses and element counts (the C++ checks then see 1-d arrays of those sizes).
inline std::vector<ArrayView> flat_views(const std::vector<uintptr_t>& ptrs, const std::vector<int64_t>& sizes,
                                         DType dtype, DeviceType device, int device_index) {
  if (ptrs.size() != sizes.size()) fail(ErrorKind::Value, "optimizer_step arguments: ", ptrs.size(), " addresses but ", sizes.size(), " sizes");
  std::vector<ArrayView> out(ptrs.size());
  for (size_t i = 0; i < ptrs.size(); ++i) {
    if (ptrs[i] % uintptr_t(dtype_size(dtype)) != 0) fail(ErrorKind::Value, "optimizer_step arguments: a misaligned array");
    if (sizes[i] < 0) fail(ErrorKind::Value, "optimizer_step arguments: a negative size");
    ArrayView& v = out[i];
    v.data = reinterpret_cast<void*>(ptrs[i]), v.dtype = dtype, v.device = device, v.device_index = device_index;
    v.shape = {sizes[i]}, v.strides = {1};
  }
  return out;
}

struct FlatOptimArgs {
  OptimBatch batch;
  OptimHyper hyper;
  FlatOptimArgs(const std::string& kind, const std::string& dtype, DeviceType device, int device_index,
                const std::vector<std::vector<uintptr_t>>& ptrs, const std::vector<std::vector<int64_t>>& sizes,
                const std::vector<double>& steps, const std::vector<bool>& first, const py::dict& hp,
                const std::vector<uintptr_t>& step_counters = {}) {
    if (ptrs.size() != 5 || sizes.size() != 5) fail(ErrorKind::Value, "optimizer_step arguments: 5 lists (p, g, s0, s1, s2) expected");
    const DType dt = dtype_from_name(dtype);
    std::vector<ArrayView>* lists[5] = {&batch.p, &batch.g, &batch.s0, &batch.s1, &batch.s2};
    for (int k = 0; k < 5; ++k) *lists[k] = flat_views(ptrs[size_t(k)], sizes[size_t(k)], dt, device, device_index);
    batch.steps = steps, batch.first = first;
    // step_counters: the addresses of float32 CPU scalars (torch's state["step"] tensors), which replace
    // `steps`: each tensor's count is its counter + 1, written back by commit_steps once the step has run.
    for (uintptr_t c : step_counters) {
      if (!c || c % alignof(float) != 0) fail(ErrorKind::Value, "optimizer_step arguments: a bad step-counter address");
      counters.push_back(reinterpret_cast<float*>(c));
    }
    if (!counters.empty()) {
      batch.steps.clear();
      for (float* c : counters) batch.steps.push_back(double(*c + 1.0f));
    }
    hyper = optim_hyper(kind, hp);
  }
  void commit_steps() const {
    for (size_t i = 0; i < counters.size(); ++i) *counters[i] = float(batch.steps[i]);
  }
  std::vector<float*> counters;
};

struct OptimArgs {
  BoundArrays p, g, s0, s1, s2;
  OptimBatch batch;
  OptimHyper hyper;

  OptimArgs(const std::string& kind, py::handle params, py::handle grads, py::handle s0_, py::handle s1_,
            py::handle s2_, const std::vector<double>& steps, const std::vector<bool>& first, const py::dict& hp)
      : p(params), g(grads), s0(s0_), s1(s1_), s2(s2_) {
    batch = OptimBatch{p.views, g.views, s0.views, s1.views, s2.views, steps, first};
    hyper = optim_hyper(kind, hp);
  }
};

}  // namespace bind
}  // namespace fastnn
