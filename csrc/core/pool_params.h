// pool_params.h — 2-d pooling's parameters and checked sizes, shared by the CPU and CUDA kernels and
// the ops (ops/pool.h).
#pragma once
#include <cstdint>

namespace fastnn {

struct Pool2dParams {
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;  // max pooling only
  bool ceil_mode = false;
  bool count_include_pad = true;  // average pooling only
  int64_t divisor_override = 0;   // average pooling only; 0: none, any other value (negative too) divides
};

// Shape of a pooling call, checked for arrays on `device` (the CUDA ops share the checks).
struct Pool2dShape {
  int64_t planes, H, W, OH, OW;
};

}  // namespace fastnn
