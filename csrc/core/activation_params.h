// activation_params.h — the activation kinds and their parameters (cpu/activation.h has the formulas),
// shared by the CPU and CUDA kernels and the ops.
#pragma once
#include <cstdint>

namespace fastnn {

enum class Act : int32_t { LeakyRelu, Elu, EluResult, Sigmoid, Tanh, Gelu, GeluTanh, Silu, Hardtanh, Softplus };

struct ActParams {
  double a = 0.0, b = 0.0;  // rounded to the element type where used
};

}  // namespace fastnn
