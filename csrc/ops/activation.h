// activation.h — elementwise activation entry points (cpu/activation.h): validate the views, pick the
// kernel (float32) or the float64 reference, split the work.
#pragma once
#include <string>

#include "core/array_view.h"
#include "cpu/activation.h"

namespace fastnn {

// The activation named `name` ("leaky_relu", "elu", "elu_result" (backward only), "sigmoid", "tanh",
// "gelu", "gelu_tanh", "silu", "hardtanh", "softplus"); Value error otherwise.
Act act_from_name(const std::string& name);
// The fastnn.ops op an activation's errors name ("leaky_relu", "gelu_backward", elu_result: "elu_backward").
std::string act_op_name(Act act, bool backward);

// y = act(x). x: any shape, contiguous; y: same shape and dtype, may be x itself (in place).
void activation(Act act, const ActParams& p, const ArrayView& x, const ArrayView& y, const std::string& kernel = "");
// dx = dy * act'(.) from s (the input or the output, as cpu/activation.h lists). dx may be dy itself.
void activation_backward(Act act, const ActParams& p, const ArrayView& dy, const ArrayView& s, const ArrayView& dx,
                         const std::string& kernel = "");

}  // namespace fastnn
