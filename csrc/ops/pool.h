// pool.h — 2-d max and average pooling (NCHW) forward and backward, torch's semantics.
#pragma once
#include <cstdint>
#include <string>

#include "core/array_view.h"
#include "core/pool_params.h"

namespace fastnn {


// Output size along one dimension, torch's formula (ceil_mode: a last window may start in the right
// padding but not past it). Throws Error(Runtime) for the configurations torch rejects.
int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation, bool ceil_mode,
                         const char* op);

// max/avg forward: x and y (and the parameters); backward: x (or the input gradient) and gy.
Pool2dShape check_pool2d_forward(const ArrayView& x, const ArrayView& y, const Pool2dParams& p, DeviceType device,
                                 const char* op);
Pool2dShape check_pool2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& gx, const Pool2dParams& p,
                                  DeviceType device, const char* op);

// x: (N, C, H, W) or (C, H, W), contiguous; y: (..., OH, OW). indices (int64 flat h * W + w per plane, as
// torch's return_indices) is optional; the backward recomputes each window's argmax from x instead of
// reading stored indices (the first maximum wins; a NaN wins over numbers, the last NaN over earlier ones).
void max_pool2d(const ArrayView& x, const ArrayView& y, int64_t* indices, const Pool2dParams& p);
// `kernel` forces a max_pool2x2_backward_f32 variant (tests, benchmarks); only float32 2x2 stride-2 windows
// without padding, dilation or ceil-mode overhang use one.
void max_pool2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& gx, const Pool2dParams& p,
                         const std::string& kernel = "");
void avg_pool2d(const ArrayView& x, const ArrayView& y, const Pool2dParams& p);
void avg_pool2d_backward(const ArrayView& gy, const ArrayView& gx, const Pool2dParams& p);

}  // namespace fastnn
