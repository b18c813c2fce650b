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

#include "core/conv_params.h"

namespace fastnn {


template <class T>
void im2col(const ConvGeometry& g, const T* x, int64_t x_cs, T* col, int64_t ld);
template <class T>
void col2im_add(const ConvGeometry& g, const T* col, int64_t ld, T* x, int64_t x_cs);

}  // namespace fastnn
