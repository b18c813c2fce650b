// im2col_ref.cpp — im2col and its adjoint (cpu/im2col.h). For each kernel tap (c, kh, kw) and output row
// oh, the output columns whose input column is inside the image form one interval [ow0, ow1): computed
// once, so the inner loop has no bounds checks (and is a plain copy when SW == 1).
#include "cpu/im2col.h"

#include <algorithm>

namespace fastnn {
namespace {

// Output columns ow with 0 <= ow * SW - PL + kw * DW < W, as [lo, hi).
void live_columns(const ConvGeometry& g, int64_t kw, int64_t& lo, int64_t& hi) {
  const int64_t off = kw * g.DW - g.PL;  // iw = ow * SW + off
  lo = off >= 0 ? 0 : (-off + g.SW - 1) / g.SW;
  hi = off >= g.W ? 0 : (g.W - off + g.SW - 1) / g.SW;
  lo = std::min(lo, g.OW);
  hi = std::max(lo, std::min(hi, g.OW));
}

// The walk both directions share: for every col row r = (c, kh, kw) and output row oh,
//   f(r, oh, ih, c, lo, hi, off)   ih: the input row (may be outside [0, H)); for ow in [lo, hi) the input
//                                  column ow * SW + off is inside the image.
template <class F>
void for_each_tap_row(const ConvGeometry& g, F&& f) {
  int64_t r = 0;
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      for (int64_t kw = 0; kw < g.KW; ++kw, ++r) {
        int64_t lo, hi;
        live_columns(g, kw, lo, hi);
        const int64_t off = kw * g.DW - g.PL;
        for (int64_t oh = 0; oh < g.OH; ++oh) f(r, oh, oh * g.SH - g.PT + kh * g.DH, c, lo, hi, off);
      }
    }
  }
}

}  // namespace

template <class T>
void im2col(const ConvGeometry& g, const T* x, int64_t x_cs, T* col, int64_t ld) {
  for_each_tap_row(g, [&](int64_t r, int64_t oh, int64_t ih, int64_t c, int64_t lo, int64_t hi, int64_t off) {
    T* dst = col + r * ld + oh * g.OW;
    if (ih < 0 || ih >= g.H) return std::fill(dst, dst + g.OW, T(0));
    const T* row = x + c * x_cs + ih * g.W;
    std::fill(dst, dst + lo, T(0));
    if (g.SW == 1) std::copy(row + lo + off, row + hi + off, dst + lo);
    else for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = row[ow * g.SW + off];
    std::fill(dst + hi, dst + g.OW, T(0));
  });
}

template <class T>
void col2im_add(const ConvGeometry& g, const T* col, int64_t ld, T* x, int64_t x_cs) {
  for_each_tap_row(g, [&](int64_t r, int64_t oh, int64_t ih, int64_t c, int64_t lo, int64_t hi, int64_t off) {
    if (ih < 0 || ih >= g.H) return;
    const T* src = col + r * ld + oh * g.OW;
    T* row = x + c * x_cs + ih * g.W;
    for (int64_t ow = lo; ow < hi; ++ow) row[ow * g.SW + off] += src[ow];
  });
}

template void im2col<float>(const ConvGeometry&, const float*, int64_t, float*, int64_t);
template void im2col<double>(const ConvGeometry&, const double*, int64_t, double*, int64_t);
template void col2im_add<float>(const ConvGeometry&, const float*, int64_t, float*, int64_t);
template void col2im_add<double>(const ConvGeometry&, const double*, int64_t, double*, int64_t);

}  // namespace fastnn
