// conv.h — 2-d convolution (NCHW) entry points: validate the views, then im2col + GEMM per image and group.
#pragma once
#include <cstdint>
#include <string>

#include "core/array_view.h"
#include "core/conv_params.h"

namespace fastnn {


// Output height and width of a convolution of an (H, W) input with a (KH, KW) kernel; throws
// Error(Runtime) for non-positive strides or dilations, negative padding, or a kernel larger than the
// padded input (torch's error kinds).
void conv2d_output_size(int64_t H, int64_t W, int64_t KH, int64_t KW, const Conv2dParams& p, int64_t& OH,
                        int64_t& OW, const char* op);

// The checks of conv2d / conv2d_backward for arrays on `device` (the CUDA ops share them).
Conv2dShape check_conv2d_forward(const ArrayView& x, const ArrayView& w, const ArrayView* bias, const ArrayView& y,
                                 const Conv2dParams& p, DeviceType device);
Conv2dShape check_conv2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                                  const ArrayView* gw, const ArrayView* gb, const Conv2dParams& p, DeviceType device);

// y = conv2d(x, w) + bias. x: (N, Cin, H, W), w: (Cout, Cin / groups, KH, KW), bias: (Cout) or null,
// y: (N, Cout, OH, OW); all C-contiguous, one dtype.
// Routes: float32 stride-1 convolutions whose output rows are as wide as the input's run the direct
// kernels (cpu/conv_direct.h), the rest im2col + GEMM. `kernel` forces one: "im2col", or a conv_direct_f32
// variant (a Value error where it does not apply).
void conv2d(const ArrayView& x, const ArrayView& w, const ArrayView* bias, const ArrayView& y, const Conv2dParams& p,
            const std::string& kernel = "");

// Gradients of conv2d for grad_output gy: gx (x's shape), gw (w's shape), gb (Cout); each may be null.
// `kernel` as for conv2d: the direct route computes the input gradient; weight and bias take the GEMM.
void conv2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                     const ArrayView* gw, const ArrayView* gb, const Conv2dParams& p, const std::string& kernel = "");

}  // namespace fastnn
