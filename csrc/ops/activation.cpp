// activation.cpp — elementwise activations: checks, kernel choice, eltwise_parallel (ops/eltwise.h).
// bench: fastnn-bench --filter activation
#include "ops/activation.h"

#include <utility>

#include "core/error.h"
#include "ops/eltwise.h"

namespace fastnn {

Act act_from_name(const std::string& name) {
  static const std::pair<const char*, Act> names[] = {
      {"leaky_relu", Act::LeakyRelu}, {"elu", Act::Elu}, {"elu_result", Act::EluResult}, {"sigmoid", Act::Sigmoid},
      {"tanh", Act::Tanh}, {"gelu", Act::Gelu}, {"gelu_tanh", Act::GeluTanh}, {"silu", Act::Silu}, {"hardtanh", Act::Hardtanh},
      {"softplus", Act::Softplus}};
  for (const auto& [n, a] : names)
    if (name == n) return a;
  fail(ErrorKind::Value, "no activation named '", name, "'");  // fastnn's own names: not a user's error
}

std::string act_op_name(Act act, bool backward) {
  const char* base = "";
  switch (act) {
    case Act::LeakyRelu: base = "leaky_relu"; break;
    case Act::Elu: case Act::EluResult: base = "elu"; break;
    case Act::Sigmoid: base = "sigmoid"; break;
    case Act::Tanh: base = "tanh"; break;
    case Act::Gelu: case Act::GeluTanh: base = "gelu"; break;
    case Act::Silu: base = "silu"; break;
    case Act::Hardtanh: base = "hardtanh"; break;
    case Act::Softplus: base = "softplus"; break;
  }
  return backward ? str_cat(base, "_backward") : std::string(base);
}

void activation(Act act, const ActParams& p, const ArrayView& x, const ArrayView& y, const std::string& kernel) {
  const std::string op_name = act_op_name(act, false);
  const char* op = op_name.c_str();
  if (act == Act::EluResult) fail(ErrorKind::Value, op, ": elu_result is a backward form only");
  check_elementwise(x, "x", y, "out", op);
  const int64_t n = x.numel();
  if (x.dtype == DType::Float64) {
    if (!kernel.empty()) fail(ErrorKind::Value, op, ": kernel= selects a float32 variant, but the arrays are float64");
    const double* xp = x.as<const double>();
    double* yp = y.as<double>();
    return eltwise_parallel(n, [&](int64_t off, int64_t cnt) { activation_f64(act, p, xp + off, yp + off, cnt); });
  }
  const auto fn = pick_kernel(activation_f32_kernels(), "activation_f32", kernel, op).fn.forward;
  const float* xp = x.as<const float>();
  float* yp = y.as<float>();
  const bool stream = use_streaming_stores(n * int64_t(sizeof(float)));
  eltwise_parallel(n, [&](int64_t off, int64_t cnt) { fn(act, p, xp + off, yp + off, cnt, stream); });
}

void activation_backward(Act act, const ActParams& p, const ArrayView& dy, const ArrayView& s, const ArrayView& dx,
                         const std::string& kernel) {
  const std::string op_name = act_op_name(act, true);
  const char* op = op_name.c_str();
  check_elementwise(dy, "grad_output", dx, "out", op);
  check_elementwise(s, "saved", dx, "out", op);
  const int64_t n = dy.numel();
  if (dy.dtype == DType::Float64) {
    if (!kernel.empty()) fail(ErrorKind::Value, op, ": kernel= selects a float32 variant, but the arrays are float64");
    const double *g = dy.as<const double>(), *sp = s.as<const double>();
    double* d = dx.as<double>();
    return eltwise_parallel(n, [&](int64_t off, int64_t cnt) { activation_backward_f64(act, p, g + off, sp + off, d + off, cnt); });
  }
  const auto fn = pick_kernel(activation_f32_kernels(), "activation_f32", kernel, op).fn.backward;
  const float *g = dy.as<const float>(), *sp = s.as<const float>();
  float* d = dx.as<float>();
  const bool stream = use_streaming_stores(n * int64_t(sizeof(float)));
  eltwise_parallel(n, [&](int64_t off, int64_t cnt) { fn(act, p, g + off, sp + off, d + off, cnt, stream); });
}

}  // namespace fastnn
