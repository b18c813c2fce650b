// im2col.h — the data movement that turns a convolution into a GEMM (ops/conv.cpp).
//   im2col: col[(c * KH + kh) * KW + kw, oh * OW + ow] = x[c, oh * SH - PT + kh * DH, ow * SW - PL + kw * DW]
//           (0 where that position falls in the padding)
//   col2im: the adjoint: x[c, ih, iw] += col[...] for every (row, column) of col that reads (c, ih, iw)
// shapes: x (C, H, W) with strides (x_cs, W, 1) (one image's channels of one group, NCHW); col (C*KH*KW, OH*OW)
// with row stride ld >= OH*OW (several images' cols side by side: ld = images * OH*OW). Portable code: the inner loops are contiguous copies when the stride along W is 1, which the
// compiler vectorizes; the GEMM around them is where the time goes.
// bench: fastnn-bench --filter conv
#pragma once
#include <cstdint>

namespace fastnn {

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

template <class T>
void im2col(const ConvGeometry& g, const T* x, int64_t x_cs, T* col, int64_t ld);
template <class T>
void col2im_add(const ConvGeometry& g, const T* col, int64_t ld, T* x, int64_t x_cs);

}  // namespace fastnn
