// loss.cpp — pointwise losses: checks, kernel choice, chunks across threads (ops/eltwise.h) with one partial
// sum per chunk, added in chunk order (deterministic for a thread count).
// bench: fastnn-bench --filter loss
#include "ops/loss.h"

#include <limits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "ops/eltwise.h"

namespace fastnn {
namespace {

void check_operands(const char* op, const ArrayView& x, const ArrayView& y, const ArrayView* w, const ArrayView* pw,
                    DeviceType device) {
  check_contiguous_on(x, device, op, "input");
  const std::pair<const ArrayView*, const char*> others[] = {{&y, "target"}, {w, "weight"}, {pw, "pos_weight"}};
  for (const auto& [v, name] : others) {
    if (!v) continue;
    check_contiguous_on(*v, device, op, name);
    check_same_device(x, "input", *v, name, op);
    check_same_shape_dtype(x, "input", *v, name, op);
  }
}

template <class E>
const E* ptr(const ArrayView* v) { return v ? v->as<const E>() : nullptr; }

// fn(offset, count, chunk index) over [0, n) in kEltwiseGrain chunks
template <class F>
void chunks(int64_t n, F&& fn) {
  parallel_for(n, kEltwiseGrain, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; c += kEltwiseGrain) fn(c, std::min(e, c + kEltwiseGrain) - c, c / kEltwiseGrain);
  });
}

}  // namespace

void check_pointwise_loss(Loss kind, const ArrayView& x, const ArrayView& y, const ArrayView* w, const ArrayView* pw,
                          const ArrayView& out, Reduction r, DeviceType device) {
  const std::string op_name = loss_op_name(kind, false);
  const char* op = op_name.c_str();
  check_operands(op, x, y, w, pw, device);
  check_contiguous_on(out, device, op, "out");
  check_same_device(x, "input", out, "out", op);
  if (out.dtype != x.dtype) fail(ErrorKind::Type, op, ": 'out' has dtype ", dtype_name(out.dtype), ", expected ", dtype_name(x.dtype));
  if (out.numel() != (r == Reduction::None ? x.numel() : 1)) fail(ErrorKind::Runtime, op, ": 'out' has the wrong size, got ", out.describe());
  check_writable(out, op, "out");
  check_disjoint(out, "out", x, "input", op);
  check_disjoint(out, "out", y, "target", op);
}

void check_pointwise_loss_backward(Loss kind, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                                   const ArrayView* pw, const ArrayView& grad_output, const ArrayView& grad, Reduction r,
                                   DeviceType device) {
  const std::string op_name = loss_op_name(kind, true);
  const char* op = op_name.c_str();
  check_operands(op, x, y, w, pw, device);
  check_contiguous_on(grad_output, device, op, "grad_output");
  check_contiguous_on(grad, device, op, "grad");
  check_same_device(x, "input", grad_output, "grad_output", op);
  check_same_device(x, "input", grad, "grad", op);
  check_same_shape_dtype(x, "input", grad, "grad", op);
  const bool none = r == Reduction::None;
  if (grad_output.dtype != x.dtype || grad_output.numel() != (none ? x.numel() : 1))
    fail(ErrorKind::Runtime, op, ": 'grad_output' must be ", none ? "the loss's shape" : "one element", " of the input's dtype, got ",
         grad_output.describe());
  check_writable(grad, op, "grad");
  check_no_partial_overlap(grad, "grad", x, "input", op);
  check_disjoint(grad, "grad", y, "target", op);
}

Loss loss_from_name(const std::string& name) {
  static const std::pair<const char*, Loss> names[] = {{"mse", Loss::Mse},           {"l1", Loss::L1},
                                                       {"smooth_l1", Loss::SmoothL1}, {"huber", Loss::Huber},
                                                       {"bce", Loss::Bce},           {"bce_with_logits", Loss::BceLogits}};
  for (const auto& [n, l] : names)
    if (name == n) return l;
  fail(ErrorKind::Value, "no loss named '", name, "'");  // fastnn's own names: not a user's error
}

std::string loss_op_name(Loss kind, bool backward) {
  const char* base = "";
  switch (kind) {
    case Loss::Mse: base = "mse_loss"; break;
    case Loss::L1: base = "l1_loss"; break;
    case Loss::SmoothL1: base = "smooth_l1_loss"; break;
    case Loss::Huber: base = "huber_loss"; break;
    case Loss::Bce: base = "binary_cross_entropy"; break;
    case Loss::BceLogits: base = "binary_cross_entropy_with_logits"; break;
  }
  return backward ? str_cat(base, "_backward") : std::string(base);
}

void pointwise_loss(Loss kind, double a, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                    const ArrayView* pw, const ArrayView& out, Reduction r, const std::string& kernel) {
  check_pointwise_loss(kind, x, y, w, pw, out, r, DeviceType::CPU);
  const std::string op_name = loss_op_name(kind, false);
  const char* op = op_name.c_str();
  const int64_t n = x.numel();
  const int64_t nchunks = (n + kEltwiseGrain - 1) / kEltwiseGrain;
  std::vector<double> part(size_t(nchunks), 0.0);
  const bool none = r == Reduction::None;
  if (x.dtype == DType::Float64) {
    if (!kernel.empty()) fail(ErrorKind::Value, op, ": kernel= selects a float32 variant, but the arrays are float64");
    chunks(n, [&](int64_t off, int64_t cnt, int64_t c) {
      const LossArgs64 args{kind, a, x.as<const double>() + off, y.as<const double>() + off,
                            w ? ptr<double>(w) + off : nullptr, pw ? ptr<double>(pw) + off : nullptr, cnt};
      part[size_t(c)] = loss_f64(args, none ? out.as<double>() + off : nullptr);
    });
  } else {
    const auto fn = pick_kernel(loss_f32_kernels(), "loss_f32", kernel, op).fn.forward;
    chunks(n, [&](int64_t off, int64_t cnt, int64_t c) {
      const LossArgs args{kind, a, x.as<const float>() + off, y.as<const float>() + off,
                          w ? ptr<float>(w) + off : nullptr, pw ? ptr<float>(pw) + off : nullptr, cnt};
      part[size_t(c)] = fn(args, none ? out.as<float>() + off : nullptr);
    });
  }
  if (none) return;
  double total = 0;
  for (double v : part) total += v;
  if (r == Reduction::Mean) total = n ? total / double(n) : std::numeric_limits<double>::quiet_NaN();
  if (x.dtype == DType::Float64) out.as<double>()[0] = total;
  else out.as<float>()[0] = float(total);
}

void pointwise_loss_backward(Loss kind, double a, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                             const ArrayView* pw, const ArrayView& grad_output, const ArrayView& grad, Reduction r,
                             const std::string& kernel) {
  check_pointwise_loss_backward(kind, x, y, w, pw, grad_output, grad, r, DeviceType::CPU);
  const std::string op_name = loss_op_name(kind, true);
  const char* op = op_name.c_str();
  const int64_t n = x.numel();
  const bool none = r == Reduction::None;
  const double norm = r == Reduction::Mean && n ? 1.0 / double(n) : 1.0;
  if (x.dtype == DType::Float64) {
    if (!kernel.empty()) fail(ErrorKind::Value, op, ": kernel= selects a float32 variant, but the arrays are float64");
    const double* g = grad_output.as<const double>();
    const double scale = none ? 1.0 : g[0] * norm;
    chunks(n, [&](int64_t off, int64_t cnt, int64_t) {
      const LossArgs64 args{kind, a, x.as<const double>() + off, y.as<const double>() + off,
                            w ? ptr<double>(w) + off : nullptr, pw ? ptr<double>(pw) + off : nullptr, cnt};
      loss_backward_f64(args, none ? g + off : nullptr, scale, grad.as<double>() + off);
    });
    return;
  }
  const auto fn = pick_kernel(loss_f32_kernels(), "loss_f32", kernel, op).fn.backward;
  const float* g = grad_output.as<const float>();
  const float scale = none ? 1.f : float(double(g[0]) * norm);
  chunks(n, [&](int64_t off, int64_t cnt, int64_t) {
    const LossArgs args{kind, a, x.as<const float>() + off, y.as<const float>() + off, w ? ptr<float>(w) + off : nullptr,
                        pw ? ptr<float>(pw) + off : nullptr, cnt};
    fn(args, none ? g + off : nullptr, scale, grad.as<float>() + off);
  });
}

}  // namespace fastnn
