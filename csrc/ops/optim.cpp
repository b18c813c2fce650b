// optim.cpp — optimizer steps on many tensors: checks, per-tensor scalars, chunks across the thread pool.
// Each element is updated by exactly one chunk and no chunk reduces anything, so the result does not
// depend on the thread count. bench: fastnn-bench --filter optim
#include "ops/optim.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "core/thread_pool.h"

namespace fastnn {
namespace {

// Elements per chunk: big enough that a chunk's fixed cost (a few hundred ns) vanishes, small enough that
// a few large tensors still spread over every thread.
constexpr int64_t kChunk = 1 << 16;

// The fastnn.ops op a step's errors name.
const char* optim_op_name(const OptimStep& h) {
  switch (h.kind) {
    case Optim::Adam: return h.decoupled ? "adamw_step" : "adam_step";
    case Optim::Sgd: return "sgd_step";
    case Optim::RmsProp: return "rmsprop_step";
    case Optim::Adagrad: return "adagrad_step";
  }
  return "optimizer_step";
}

// Which state lists a step of this kind and these options reads and writes.
void needed_states(const OptimStep& h, bool need[3]) {
  need[0] = need[1] = need[2] = false;
  switch (h.kind) {
    case Optim::Adam: need[0] = need[1] = true, need[2] = h.amsgrad; break;
    case Optim::Sgd: need[0] = h.momentum != 0; break;
    case Optim::RmsProp: need[0] = true, need[1] = h.momentum > 0, need[2] = h.centered; break;
    case Optim::Adagrad: need[0] = true; break;
  }
}

}  // namespace

Optim optim_from_name(const std::string& name) {
  static const std::pair<const char*, Optim> names[] = {
      {"adam", Optim::Adam}, {"sgd", Optim::Sgd}, {"rmsprop", Optim::RmsProp}, {"adagrad", Optim::Adagrad}};
  for (const auto& [n, k] : names)
    if (name == n) return k;
  fail(ErrorKind::Value, "no optimizer named '", name, "'");  // fastnn's own names: not a user's error
}

std::vector<OptimStep> check_optimizer_step(const OptimBatch& b, const OptimHyper& hp, DeviceType device) {
  const OptimStep& base = hp.base;
  const char* op = optim_op_name(base);
  const size_t n = b.p.size();
  if (b.g.size() != n) fail(ErrorKind::Value, op, ": ", n, " params but ", b.g.size(), " grads");
  bool need[3];
  needed_states(base, need);
  const std::vector<ArrayView>* lists[3] = {&b.s0, &b.s1, &b.s2};
  for (int k = 0; k < 3; ++k)
    if (lists[k]->size() != (need[k] ? n : 0))
      fail(ErrorKind::Value, op, ": state list ", k, " has ", lists[k]->size(), " arrays, expected ", need[k] ? n : 0);
  if ((base.kind == Optim::Adam || base.kind == Optim::Adagrad) && b.steps.size() != n)
    fail(ErrorKind::Value, op, ": ", b.steps.size(), " step counts for ", n, " params");
  if (base.kind == Optim::Sgd && base.momentum != 0 && b.first.size() != n)
    fail(ErrorKind::Value, op, ": ", b.first.size(), " 'first' flags for ", n, " params");
  if (!(base.lr >= 0)) fail(ErrorKind::Value, op, ": Invalid learning rate: ", base.lr);
  if (!(base.eps >= 0)) fail(ErrorKind::Value, op, ": Invalid epsilon value: ", base.eps);
  if (!(base.weight_decay >= 0)) fail(ErrorKind::Value, op, ": Invalid weight_decay value: ", base.weight_decay);

  std::vector<OptimStep> out(n, base);
  for (size_t i = 0; i < n; ++i) {
    const ArrayView& p = b.p[i];
    check_contiguous_on(p, device, op, "param");
    if (p.dtype != DType::Float32 && p.dtype != DType::Float64)
      fail(ErrorKind::Type, op, ": params must be float32 or float64, got ", dtype_name(p.dtype));
    check_writable(p, op, "param");
    check_contiguous_on(b.g[i], device, op, "grad");
    check_same_device(p, "param", b.g[i], "grad", op);
    check_same_shape_dtype(p, "param", b.g[i], "grad", op);
    check_disjoint(p, "param", b.g[i], "grad", op);
    for (int k = 0; k < 3; ++k) {
      if (!need[k]) continue;
      const ArrayView& s = (*lists[k])[i];
      check_contiguous_on(s, device, op, "state");
      check_same_device(p, "param", s, "state", op);
      check_same_shape_dtype(p, "param", s, "state", op);
      check_writable(s, op, "state");
      check_disjoint(s, "state", p, "param", op);
      check_disjoint(s, "state", b.g[i], "grad", op);
    }
    OptimStep& h = out[i];
    if (base.kind == Optim::Adam) {
      const double t = b.steps[i];
      if (!(t >= 1)) fail(ErrorKind::Value, op, ": step counts start at 1, got ", t);
      h.step_size = base.lr / (1.0 - std::pow(base.beta1, t));
      h.bc2_sqrt = std::sqrt(1.0 - std::pow(base.beta2, t));
    } else if (base.kind == Optim::Adagrad) {
      const double t = b.steps[i];
      if (!(t >= 1)) fail(ErrorKind::Value, op, ": step counts start at 1, got ", t);
      h.clr = base.lr / (1.0 + (t - 1.0) * hp.lr_decay);
    } else if (base.kind == Optim::Sgd && base.momentum != 0) {
      h.first = b.first[i];
    }
  }
  return out;
}

void optimizer_step(const OptimBatch& b, const OptimHyper& hp, const std::string& kernel) {
  const std::vector<OptimStep> steps = check_optimizer_step(b, hp, DeviceType::CPU);
  const OptimKernel f32 = pick_kernel(optim_f32_kernels(), "optim_f32", kernel, optim_op_name(hp.base)).fn;
  // chunks: (tensor, first element); each covers up to kChunk elements of its tensor
  std::vector<std::pair<size_t, int64_t>> chunks;
  for (size_t i = 0; i < b.p.size(); ++i)
    for (int64_t off = 0; off < b.p[i].numel(); off += kChunk) chunks.emplace_back(i, off);
  auto at = [](const std::vector<ArrayView>& v, size_t i, int64_t off, auto* type) {
    using E = std::remove_pointer_t<decltype(type)>;
    return v.empty() ? nullptr : v[i].as<E>() + off;
  };
  parallel_for(int64_t(chunks.size()), 1, [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c) {
      const auto [i, off] = chunks[size_t(c)];
      const int64_t cnt = std::min(kChunk, b.p[i].numel() - off);
      if (b.p[i].dtype == DType::Float32) {
        float* t = nullptr;
        f32(steps[i], OptimTensor<float>{b.p[i].as<float>() + off, b.g[i].as<const float>() + off, at(b.s0, i, off, t),
                                         at(b.s1, i, off, t), at(b.s2, i, off, t), cnt});
      } else {
        double* t = nullptr;
        optim_step_f64(steps[i], OptimTensor<double>{b.p[i].as<double>() + off, b.g[i].as<const double>() + off,
                                                     at(b.s0, i, off, t), at(b.s1, i, off, t), at(b.s2, i, off, t),
                                                     cnt});
      }
    }
  });
}

}  // namespace fastnn
