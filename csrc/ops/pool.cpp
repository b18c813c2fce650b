// pool.cpp — max and average pooling over planes (one (n, c) image channel at a time), threads over planes.
// Portable loops: per output element, the window's rows and columns clipped to the image once, no
// per-element bounds checks. Memory-bound at the seed sizes (a 2x2 window reads 16 B per 4 B written).
// bench: fastnn-bench --filter pool
#include "ops/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/pool.h"

namespace fastnn {
namespace {

struct Planes {
  int64_t planes, H, W, OH, OW;
};

Planes planes_of(const ArrayView& x, const Pool2dParams& p, const char* op) {
  const size_t nd = x.shape.size();
  if (nd != 3 && nd != 4) fail(ErrorKind::Runtime, op, ": expected a 3-d or 4-d input, got ", x.describe());
  Planes s;
  s.H = x.shape[nd - 2];
  s.W = x.shape[nd - 1];
  s.planes = x.shape[0] * (nd == 4 ? x.shape[1] : 1);
  s.OH = pool_output_size(s.H, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h, p.ceil_mode, op);
  s.OW = pool_output_size(s.W, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w, p.ceil_mode, op);
  return s;
}

std::vector<int64_t> out_shape(const ArrayView& x, const Planes& s) {
  std::vector<int64_t> shape(x.shape.begin(), x.shape.end() - 2);
  shape.push_back(s.OH);
  shape.push_back(s.OW);
  return shape;
}

void check_like(const ArrayView& v, const ArrayView& x, const std::vector<int64_t>& shape, const char* op,
                const char* arg, DeviceType device = DeviceType::CPU) {
  check_contiguous_on(v, device, op, arg);
  if (v.dtype != x.dtype) fail(ErrorKind::Type, op, ": '", arg, "' has dtype ", dtype_name(v.dtype), ", expected ", dtype_name(x.dtype));
  if (v.shape != shape) fail(ErrorKind::Runtime, op, ": '", arg, "' has the wrong shape: ", v.describe());
}

// First in-image tap of a dilated window starting at `start` (may be negative), and the end (exclusive).
inline void taps(int64_t start, int64_t k, int64_t d, int64_t n, int64_t& first, int64_t& last) {
  first = start < 0 ? (-start + d - 1) / d : 0;                 // taps before the image
  last = std::min<int64_t>(k, start >= n ? 0 : (n - start + d - 1) / d);  // taps inside
  last = std::max(first, last);
}

// The window's argmax as a flat index h * W + w, torch's order and NaN rule.
template <class T>
inline int64_t window_argmax(const T* plane, const Planes& s, const Pool2dParams& p, int64_t oh, int64_t ow, T& best) {
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

// The common 2x2, stride 2 window (no padding, no dilation, no ceil-mode overhang): branch-free, the
// compiler vectorizes it. torch's rule, in window order: a value replaces the best if greater or NaN.
bool is_plain_2x2(const Planes& s, const Pool2dParams& p) {
  return p.kernel_h == 2 && p.kernel_w == 2 && p.stride_h == 2 && p.stride_w == 2 && p.pad_h == 0 && p.pad_w == 0 &&
         p.dilation_h == 1 && p.dilation_w == 1 && 2 * s.OH <= s.H && 2 * s.OW <= s.W;
}

template <class T>
inline T pick(T best, T v) { return (v > best || v != v) ? v : best; }

template <class T>
void max_forward_2x2(const Planes& s, const T* plane, T* out) {
  for (int64_t oh = 0; oh < s.OH; ++oh) {
    const T* r0 = plane + 2 * oh * s.W;
    const T* r1 = r0 + s.W;
    T* o = out + oh * s.OW;
    for (int64_t ow = 0; ow < s.OW; ++ow)
      o[ow] = pick(pick(pick(r0[2 * ow], r0[2 * ow + 1]), r1[2 * ow]), r1[2 * ow + 1]);
  }
}

// Each input of a 2x2 window gets the window's gradient if it is the argmax, else 0 (cpu/pool.h): every
// input element is written once, so no zero-fill pass (except rows/columns no window covers).
template <class T>
void max_backward_2x2(const Planes& s, const T* plane, const T* g, T* d, MaxPool2x2BackwardFn row) {
  if (2 * s.OH != s.H || 2 * s.OW != s.W) std::fill(d, d + s.H * s.W, T(0));
  for (int64_t oh = 0; oh < s.OH; ++oh) {
    const T* r0 = plane + 2 * oh * s.W;
    T* d0 = d + 2 * oh * s.W;
    row(r0, r0 + s.W, g + oh * s.OW, d0, d0 + s.W, s.OW);
  }
}

// fn(plane) for every (n, c) plane, planes shared out among the threads.
template <class F>
void for_each_plane(const Planes& s, F&& fn) {
  parallel_for(s.planes, 1, [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) fn(pl);
  });
}

// fn(oh, ow, o) for every output position of a plane, o = oh * OW + ow.
template <class F>
void for_each_output(const Planes& s, F&& fn) {
  for (int64_t oh = 0; oh < s.OH; ++oh)
    for (int64_t ow = 0; ow < s.OW; ++ow) fn(oh, ow, oh * s.OW + ow);
}

template <class T>
void max_forward(const Planes& s, const Pool2dParams& p, const T* x, T* y, int64_t* indices) {
  const bool fast = !indices && is_plain_2x2(s, p);
  for_each_plane(s, [&](int64_t pl) {
    const T* plane = x + pl * s.H * s.W;
    T* out = y + pl * s.OH * s.OW;
    if (fast) return max_forward_2x2(s, plane, out);
    int64_t* ind = indices ? indices + pl * s.OH * s.OW : nullptr;
    for_each_output(s, [&](int64_t oh, int64_t ow, int64_t o) {
      const int64_t arg = window_argmax(plane, s, p, oh, ow, out[o]);
      if (ind) ind[o] = arg;
    });
  });
}

template <class T>
void max_backward(const Planes& s, const Pool2dParams& p, const T* gy, const T* x, T* gx, const std::string& kernel) {
  // the 2x2 row kernels are float32; float64 (gradcheck) takes the general loop
  const bool fast = std::is_same_v<T, float> && is_plain_2x2(s, p);
  MaxPool2x2BackwardFn row = nullptr;
  if (fast)
    row = pick_kernel(max_pool2x2_backward_f32_kernels(), "max_pool2x2_backward_f32", kernel, "max_pool2d_backward").fn;
  else if (!kernel.empty())
    fail(ErrorKind::Value, "max_pool2d_backward: kernel ", kernel, " runs only float32 2x2 stride-2 pooling");
  for_each_plane(s, [&](int64_t pl) {
    const T* plane = x + pl * s.H * s.W;
    const T* g = gy + pl * s.OH * s.OW;
    T* d = gx + pl * s.H * s.W;
    if constexpr (std::is_same_v<T, float>) {
      if (fast) return max_backward_2x2(s, plane, g, d, row);
    }
    std::fill(d, d + s.H * s.W, T(0));
    for_each_output(s, [&](int64_t oh, int64_t ow, int64_t o) {
      T best;
      d[window_argmax(plane, s, p, oh, ow, best)] += g[o];
    });
  });
}

// Average pooling window: rows [h0, h1) x columns [w0, w1) inside the image, and torch's divisor.
inline void avg_window(const Planes& s, const Pool2dParams& p, int64_t oh, int64_t ow, int64_t& h0, int64_t& h1,
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
void avg_forward_2x2(const Planes& s, const T* plane, T* out, T div) {
  for (int64_t oh = 0; oh < s.OH; ++oh) {
    const T* r0 = plane + 2 * oh * s.W;
    const T* r1 = r0 + s.W;
    T* o = out + oh * s.OW;
    for (int64_t ow = 0; ow < s.OW; ++ow) o[ow] = (((r0[2 * ow] + r0[2 * ow + 1]) + r1[2 * ow]) + r1[2 * ow + 1]) / div;
  }
}

template <class T>
void avg_backward_2x2(const Planes& s, const T* g, T* d, T div) {
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

template <class T>
void avg_forward(const Planes& s, const Pool2dParams& p, const T* x, T* y) {
  const bool fast = is_plain_2x2(s, p);  // then every window is whole: the divisor is 4 or the override
  for_each_plane(s, [&](int64_t pl) {
    const T* plane = x + pl * s.H * s.W;
    T* out = y + pl * s.OH * s.OW;
    if (fast) return avg_forward_2x2(s, plane, out, T(p.divisor_override ? p.divisor_override : 4));
    for_each_output(s, [&](int64_t oh, int64_t ow, int64_t o) {
      int64_t h0, h1, w0, w1, div;
      avg_window(s, p, oh, ow, h0, h1, w0, w1, div);
      T sum = 0;
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t w = w0; w < w1; ++w) sum += plane[h * s.W + w];
      out[o] = sum / T(div);
    });
  });
}

template <class T>
void avg_backward(const Planes& s, const Pool2dParams& p, const T* gy, T* gx) {
  const bool fast = is_plain_2x2(s, p);
  for_each_plane(s, [&](int64_t pl) {
    const T* g = gy + pl * s.OH * s.OW;
    T* d = gx + pl * s.H * s.W;
    if (fast) return avg_backward_2x2(s, g, d, T(p.divisor_override ? p.divisor_override : 4));
    std::fill(d, d + s.H * s.W, T(0));
    for_each_output(s, [&](int64_t oh, int64_t ow, int64_t o) {
      int64_t h0, h1, w0, w1, div;
      avg_window(s, p, oh, ow, h0, h1, w0, w1, div);
      const T share = g[o] / T(div);
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t w = w0; w < w1; ++w) d[h * s.W + w] += share;
    });
  });
}

void check_params(const Pool2dParams& p, const char* op) {
  if (p.kernel_h < 1 || p.kernel_w < 1) fail(ErrorKind::Runtime, op, ": kernel size should be greater than zero");
  if (p.stride_h < 1 || p.stride_w < 1) fail(ErrorKind::Runtime, op, ": stride should be greater than zero");
  if (p.dilation_h < 1 || p.dilation_w < 1) fail(ErrorKind::Runtime, op, ": dilation should be greater than zero");
  if (p.pad_h < 0 || p.pad_w < 0) fail(ErrorKind::Runtime, op, ": pad must be non-negative");
  if (p.pad_h * 2 > (p.kernel_h - 1) * p.dilation_h + 1 || p.pad_w * 2 > (p.kernel_w - 1) * p.dilation_w + 1)
    fail(ErrorKind::Runtime, op, ": pad should be at most half of effective kernel size, but got pad=(", p.pad_h, ", ",
         p.pad_w, ") and kernel_size=(", p.kernel_h, ", ", p.kernel_w, ")");
}

}  // namespace

int64_t pool_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation, bool ceil_mode,
                         const char* op) {
  // Checked here too: this is also called on its own (from Python, to size outputs), and a zero stride
  // would otherwise be a division by zero (SIGFPE), not an exception.
  if (kernel < 1) fail(ErrorKind::Runtime, op, ": kernel size should be greater than zero");
  if (stride < 1) fail(ErrorKind::Runtime, op, ": stride should be greater than zero");
  if (dilation < 1) fail(ErrorKind::Runtime, op, ": dilation should be greater than zero");
  if (pad < 0) fail(ErrorKind::Runtime, op, ": pad must be non-negative");
  const int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1;  // floor division
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;  // the last window must start inside the image or left pad
  if (out < 1)
    fail(ErrorKind::Runtime, op, ": output size is too small (input ", in, ", kernel ", kernel, ", stride ", stride,
         ", padding ", pad, ", dilation ", dilation, ")");
  return out;
}

Pool2dShape check_pool2d_forward(const ArrayView& x, const ArrayView& y, const Pool2dParams& p, DeviceType device,
                                 const char* op) {
  check_params(p, op);
  check_contiguous_on(x, device, op, "input");
  const Planes s = planes_of(x, p, op);
  check_like(y, x, out_shape(x, s), op, "out", device);
  check_same_device(x, "input", y, "out", op);
  check_writable(y, op, "out");
  check_disjoint(y, "out", x, "input", op);
  return {s.planes, s.H, s.W, s.OH, s.OW};
}

Pool2dShape check_pool2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& gx, const Pool2dParams& p,
                                  DeviceType device, const char* op) {
  check_params(p, op);
  check_contiguous_on(x, device, op, "input");
  const Planes s = planes_of(x, p, op);
  check_like(gy, x, out_shape(x, s), op, "grad_output", device);
  check_like(gx, x, x.shape, op, "grad_input", device);
  check_same_device(x, "input", gy, "grad_output", op);
  check_same_device(x, "input", gx, "grad_input", op);
  check_writable(gx, op, "grad_input");
  check_disjoint(gx, "grad_input", gy, "grad_output", op);
  if (gx.data != x.data) check_disjoint(gx, "grad_input", x, "input", op);
  return {s.planes, s.H, s.W, s.OH, s.OW};
}

namespace {
Planes planes(const Pool2dShape& sh) { return Planes{sh.planes, sh.H, sh.W, sh.OH, sh.OW}; }
}  // namespace

void max_pool2d(const ArrayView& x, const ArrayView& y, int64_t* indices, const Pool2dParams& p) {
  const Planes s = planes(check_pool2d_forward(x, y, p, DeviceType::CPU, "max_pool2d"));
  if (x.dtype == DType::Float32) max_forward(s, p, x.as<const float>(), y.as<float>(), indices);
  else max_forward(s, p, x.as<const double>(), y.as<double>(), indices);
}

void max_pool2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& gx, const Pool2dParams& p,
                         const std::string& kernel) {
  const Planes s = planes(check_pool2d_backward(gy, x, gx, p, DeviceType::CPU, "max_pool2d_backward"));
  if (gx.data == x.data) fail(ErrorKind::Value, "max_pool2d_backward: 'grad_input' overlaps 'input' in memory");
  if (x.dtype == DType::Float32) max_backward(s, p, gy.as<const float>(), x.as<const float>(), gx.as<float>(), kernel);
  else max_backward(s, p, gy.as<const double>(), x.as<const double>(), gx.as<double>(), kernel);
}

void avg_pool2d(const ArrayView& x, const ArrayView& y, const Pool2dParams& p) {
  const Planes s = planes(check_pool2d_forward(x, y, p, DeviceType::CPU, "avg_pool2d"));
  if (x.dtype == DType::Float32) avg_forward(s, p, x.as<const float>(), y.as<float>());
  else avg_forward(s, p, x.as<const double>(), y.as<double>());
}

// The input gradient gx stands for the input (its shape): avg pooling's backward does not read x.
void avg_pool2d_backward(const ArrayView& gy, const ArrayView& gx, const Pool2dParams& p) {
  const Planes s = planes(check_pool2d_backward(gy, gx, gx, p, DeviceType::CPU, "avg_pool2d_backward"));
  if (gx.dtype == DType::Float32) avg_backward(s, p, gy.as<const float>(), gx.as<float>());
  else avg_backward(s, p, gy.as<const double>(), gx.as<double>());
}

}  // namespace fastnn
