// norm_params.h — batch norm's checked sizes, shared by the CPU and CUDA kernels and the ops
// (ops/norm.h).
#pragma once
#include <cstdint>

namespace fastnn {

struct BnShape {
  int64_t N, C, L;  // x is (N, C, L...): L the product of the trailing dims (1 for (N, C))
};

}  // namespace fastnn
