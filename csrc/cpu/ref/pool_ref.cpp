// pool_ref.cpp — portable pooling kernels (cpu/pool.h): one (n, c) plane per call, every window's rows and
// columns clipped to the image once, no per-element bounds checks; the 2x2 stride-2 windows branch-free
// (the compiler vectorizes them). Also the oracle of the SIMD 2x2 backward rows.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/pool.h"

namespace fastnn {

void max_pool2x2_backward_f32__ref(const float* r0, const float* r1, const float* g, float* d0, float* d1,
                                   int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float a0 = r0[2 * i], a1 = r0[2 * i + 1], a2 = r1[2 * i], a3 = r1[2 * i + 1];
    float best = a0;
    int w = 0;
    if (a1 > best || a1 != a1) best = a1, w = 1;
    if (a2 > best || a2 != a2) best = a2, w = 2;
    if (a3 > best || a3 != a3) w = 3;
    d0[2 * i] = w == 0 ? g[i] : 0.f;
    d0[2 * i + 1] = w == 1 ? g[i] : 0.f;
    d1[2 * i] = w == 2 ? g[i] : 0.f;
    d1[2 * i + 1] = w == 3 ? g[i] : 0.f;
  }
}

// The common 2x2, stride 2 window (no padding, no dilation, no ceil-mode overhang): branch-free, the
// compiler vectorizes it. torch's rule, in window order: a value replaces the best if greater or NaN.
bool pool2d_is_plain_2x2(const Pool2dShape& s, const Pool2dParams& p) {
  return p.kernel_h == 2 && p.kernel_w == 2 && p.stride_h == 2 && p.stride_w == 2 && p.pad_h == 0 && p.pad_w == 0 &&
         p.dilation_h == 1 && p.dilation_w == 1 && 2 * s.OH <= s.H && 2 * s.OW <= s.W;
}

namespace {

// First in-image tap of a dilated window starting at `start` (may be negative), and the end (exclusive).
inline void taps(int64_t start, int64_t k, int64_t d, int64_t n, int64_t& first, int64_t& last) {
  first = start < 0 ? (-start + d - 1) / d : 0;                 // taps before the image
  last = std::min<int64_t>(k, start >= n ? 0 : (n - start + d - 1) / d);  // taps inside
  last = std::max(first, last);
}

// The window's argmax as a flat index h * W + w, torch's order and NaN rule.
template <class T>
inline int64_t window_argmax(const T* plane, const Pool2dShape& s, const Pool2dParams& p, int64_t oh, int64_t ow,
                             T& best) {
  const int64_t h0 = oh * p.stride_h - p.pad_h, w0 = ow * p.stride_w - p.pad_w;
  int64_t kh0, kh1, kw0, kw1;
  taps(h0, p.kernel_h, p.dilation_h, s.H, kh0, kh1);
  taps(w0, p.kernel_w, p.dilation_w, s.W, kw0, kw1);
  int64_t arg = (h0 + kh0 * p.dilation_h) * s.W + (w0 + kw0 * p.dilation_w);
  best = -std::numeric_limits<T>::infinity();
  for (int64_t kh = kh0; kh < kh1; ++kh) {
    const int64_t row = (h0 + kh * p.dilation_h) * s.W;
    for (int64_t kw = kw0; kw < kw1; ++kw) {
      const int64_t idx = row + w0 + kw * p.dilation_w;
      const T v = plane[idx];
      if (v > best || std::isnan(v)) {
        best = v;
        arg = idx;
      }
    }
  }
  return arg;
}

template <class T>
inline T pick(T best, T v) { return (v > best || v != v) ? v : best; }

template <class T>
void max_forward_2x2(const Pool2dShape& s, const T* plane, T* out) {
  for (int64_t oh = 0; oh < s.OH; ++oh) {
    const T* r0 = plane + 2 * oh * s.W;
    const T* r1 = r0 + s.W;
    T* o = out + oh * s.OW;
    for (int64_t ow = 0; ow < s.OW; ++ow)
      o[ow] = pick(pick(pick(r0[2 * ow], r0[2 * ow + 1]), r1[2 * ow]), r1[2 * ow + 1]);
  }
}

// fn(oh, ow, o) for every output position of a plane, o = oh * OW + ow.
template <class F>
void for_each_output(const Pool2dShape& s, F&& fn) {
  for (int64_t oh = 0; oh < s.OH; ++oh)
    for (int64_t ow = 0; ow < s.OW; ++ow) fn(oh, ow, oh * s.OW + ow);
}

// Average pooling window: rows [h0, h1) x columns [w0, w1) inside the image, and torch's divisor.
inline void avg_window(const Pool2dShape& s, const Pool2dParams& p, int64_t oh, int64_t ow, int64_t& h0, int64_t& h1,
                       int64_t& w0, int64_t& w1, int64_t& divisor) {
  h0 = oh * p.stride_h - p.pad_h;
  w0 = ow * p.stride_w - p.pad_w;
  h1 = std::min(h0 + p.kernel_h, s.H + p.pad_h);
  w1 = std::min(w0 + p.kernel_w, s.W + p.pad_w);
  const int64_t with_pad = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, s.H);
  w1 = std::min(w1, s.W);
  divisor = p.divisor_override ? p.divisor_override : p.count_include_pad ? with_pad : (h1 - h0) * (w1 - w0);
}

// 2x2, stride 2, no padding: four adds in torch's order and a divide per output; no compares, so the
// compiler vectorizes it as it is.
template <class T>
void avg_forward_2x2(const Pool2dShape& s, const T* plane, T* out, T div) {
  for (int64_t oh = 0; oh < s.OH; ++oh) {
    const T* r0 = plane + 2 * oh * s.W;
    const T* r1 = r0 + s.W;
    T* o = out + oh * s.OW;
    for (int64_t ow = 0; ow < s.OW; ++ow) o[ow] = (((r0[2 * ow] + r0[2 * ow + 1]) + r1[2 * ow]) + r1[2 * ow + 1]) / div;
  }
}

template <class T>
void avg_backward_2x2(const Pool2dShape& s, const T* g, T* d, T div) {
  if (2 * s.OH != s.H || 2 * s.OW != s.W) std::fill(d, d + s.H * s.W, T(0));
  for (int64_t oh = 0; oh < s.OH; ++oh) {
    T* d0 = d + 2 * oh * s.W;
    T* d1 = d0 + s.W;
    const T* go = g + oh * s.OW;
    for (int64_t ow = 0; ow < s.OW; ++ow) {
      const T share = go[ow] / div;
      d0[2 * ow] = d0[2 * ow + 1] = d1[2 * ow] = d1[2 * ow + 1] = share;
    }
  }
}

}  // namespace

template <class T>
void max_pool2d_plane(const Pool2dShape& s, const Pool2dParams& p, const T* x, T* y, int64_t* indices) {
  if (!indices && pool2d_is_plain_2x2(s, p)) return max_forward_2x2(s, x, y);
  for_each_output(s, [&](int64_t oh, int64_t ow, int64_t o) {
    const int64_t arg = window_argmax(x, s, p, oh, ow, y[o]);
    if (indices) indices[o] = arg;
  });
}

template <class T>
void max_pool2d_backward_plane(const Pool2dShape& s, const Pool2dParams& p, const T* x, const T* gy, T* gx) {
  std::fill(gx, gx + s.H * s.W, T(0));
  for_each_output(s, [&](int64_t oh, int64_t ow, int64_t o) {
    T best;
    gx[window_argmax(x, s, p, oh, ow, best)] += gy[o];
  });
}

// Each input of a 2x2 window gets the window's gradient if it is the argmax, else 0 (cpu/pool.h): every
// input element is written once, so no zero-fill pass (except rows/columns no window covers).
void max_pool2d_backward_plane_2x2(const Pool2dShape& s, const float* plane, const float* g, float* d,
                                   MaxPool2x2BackwardFn row) {
  if (2 * s.OH != s.H || 2 * s.OW != s.W) std::fill(d, d + s.H * s.W, 0.f);
  for (int64_t oh = 0; oh < s.OH; ++oh) {
    const float* r0 = plane + 2 * oh * s.W;
    float* d0 = d + 2 * oh * s.W;
    row(r0, r0 + s.W, g + oh * s.OW, d0, d0 + s.W, s.OW);
  }
}

template <class T>
void avg_pool2d_plane(const Pool2dShape& s, const Pool2dParams& p, const T* x, T* y) {
  // plain 2x2: every window is whole, so the divisor is 4 or the override
  if (pool2d_is_plain_2x2(s, p)) return avg_forward_2x2(s, x, y, T(p.divisor_override ? p.divisor_override : 4));
  for_each_output(s, [&](int64_t oh, int64_t ow, int64_t o) {
    int64_t h0, h1, w0, w1, div;
    avg_window(s, p, oh, ow, h0, h1, w0, w1, div);
    T sum = 0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) sum += x[h * s.W + w];
    y[o] = sum / T(div);
  });
}

template <class T>
void avg_pool2d_backward_plane(const Pool2dShape& s, const Pool2dParams& p, const T* gy, T* gx) {
  if (pool2d_is_plain_2x2(s, p)) return avg_backward_2x2(s, gy, gx, T(p.divisor_override ? p.divisor_override : 4));
  std::fill(gx, gx + s.H * s.W, T(0));
  for_each_output(s, [&](int64_t oh, int64_t ow, int64_t o) {
    int64_t h0, h1, w0, w1, div;
    avg_window(s, p, oh, ow, h0, h1, w0, w1, div);
    const T share = gy[o] / T(div);
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) gx[h * s.W + w] += share;
  });
}

#define FASTNN_POOL_PLANES(T)                                                                                    \
  template void max_pool2d_plane<T>(const Pool2dShape&, const Pool2dParams&, const T*, T*, int64_t*);            \
  template void max_pool2d_backward_plane<T>(const Pool2dShape&, const Pool2dParams&, const T*, const T*, T*);   \
  template void avg_pool2d_plane<T>(const Pool2dShape&, const Pool2dParams&, const T*, T*);                      \
  template void avg_pool2d_backward_plane<T>(const Pool2dShape&, const Pool2dParams&, const T*, T*);
FASTNN_POOL_PLANES(float)
FASTNN_POOL_PLANES(double)
#undef FASTNN_POOL_PLANES

}  // namespace fastnn
