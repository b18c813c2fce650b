// relu.h — ReLU entry points: validate the views, pick the kernel, split the work.
// `kernel` forces a registered variant by name (tests, benchmarks); empty picks the best allowed.
#pragma once
#include <string>

#include "core/array_view.h"

namespace fastnn {

// y = relu(x). x: any shape, contiguous; y: same shape and dtype, may be x itself (in-place).
void relu(const ArrayView& x, const ArrayView& y, const std::string& kernel = "");
// dx = dy * (y > 0). dy, y, dx: same shape and dtype; dx may be dy itself.
void relu_backward(const ArrayView& dy, const ArrayView& y, const ArrayView& dx, const std::string& kernel = "");

}  // namespace fastnn
