// conv_params.h — a 2-d convolution's parameters and checked sizes, shared by the CPU and CUDA
// kernels and the ops (ops/conv.h).
#pragma once
#include <cstdint>

namespace fastnn {

// One image's channels of one group, as im2col / col2im (cpu/im2col.h) and the direct kernels see them.
struct ConvGeometry {
  int64_t C, H, W;          // input channels (of one group), height, width
  int64_t KH, KW;           // kernel
  int64_t SH, SW;           // stride
  int64_t PT, PL;           // padding before (top, left); padding after is implied by OH, OW
  int64_t DH, DW;           // dilation
  int64_t OH, OW;           // output
  int64_t rows() const { return C * KH * KW; }
  int64_t cols() const { return OH * OW; }
};

struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
};

// A checked convolution's sizes (Og = Cout / groups, K = Cg * KH * KW, P = OH * OW).
struct Conv2dShape {
  int64_t N, Cin, H, W, Cout, Cg, Og, KH, KW, OH, OW, K, P;
  ConvGeometry geo;  // one image's channels of one group
  bool direct;       // 1x1, stride 1, no padding: the image is its own col
};

}  // namespace fastnn
