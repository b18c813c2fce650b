// pool.cu — max and average pooling on CUDA; the same source runs on the CPU through the SIMT emulator.
// forward: one thread per output (grid-stride, 64-bit indices), the window clipped to the image once.
// max backward: zero the input gradient, then one thread per output adds its gradient at its window's
//   argmax (atomicAdd: overlapping windows may share an argmax); the argmax is recomputed from x with the
//   CPU's rule (first maximum; NaN wins, the last NaN over earlier ones).
// avg backward: one thread per input element gathers from the windows that cover it (no atomics,
//   deterministic).
// bench: fastnn-bench --filter pool (GPU columns when a GPU is present)
#include "cuda/pool.h"

#include <algorithm>
#include <cstdint>

namespace fastnn {
namespace cuda {
namespace {

struct Geometry {
  int64_t planes, H, W, OH, OW;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  int64_t divisor_override;
  bool count_include_pad;
};

Geometry geometry(const Pool2dShape& s, const Pool2dParams& p) {
  return Geometry{s.planes,   s.H,        s.W,          s.OH,         s.OW,         p.kernel_h,         p.kernel_w,
                  p.stride_h, p.stride_w, p.pad_h,      p.pad_w,      p.dilation_h, p.dilation_w,
                  p.divisor_override, p.count_include_pad};
}

// First and end (exclusive) in-image taps of a dilated window starting at `start`.
__device__ __forceinline__ void taps(int64_t start, int64_t k, int64_t d, int64_t n, int64_t& first, int64_t& last) {
  first = start < 0 ? (-start + d - 1) / d : 0;
  last = start >= n ? 0 : (n - start + d - 1) / d;
  last = last < k ? last : k;
  last = last > first ? last : first;
}

template <class T>
__device__ __forceinline__ int64_t window_argmax(const T* plane, const Geometry& g, int64_t oh, int64_t ow, T& best) {
  const int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t kh0, kh1, kw0, kw1;
  taps(h0, g.kh, g.dh, g.H, kh0, kh1);
  taps(w0, g.kw, g.dw, g.W, kw0, kw1);
  int64_t arg = (h0 + kh0 * g.dh) * g.W + (w0 + kw0 * g.dw);
  best = -T(INFINITY);
  for (int64_t kh = kh0; kh < kh1; ++kh) {
    const int64_t row = (h0 + kh * g.dh) * g.W;
    for (int64_t kw = kw0; kw < kw1; ++kw) {
      const int64_t idx = row + w0 + kw * g.dw;
      const T v = plane[idx];
      if (v > best || v != v) {
        best = v;
        arg = idx;
      }
    }
  }
  return arg;
}

template <class T>
__global__ void max_forward_kernel(Geometry g, const T* x, T* y, int64_t* indices) {
  const int64_t total = g.planes * g.OH * g.OW;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t plane = i / (g.OH * g.OW), r = i % (g.OH * g.OW);
    T best;
    const int64_t arg = window_argmax(x + plane * g.H * g.W, g, r / g.OW, r % g.OW, best);
    y[i] = best;
    if (indices) indices[i] = arg;
  }
}

template <class T>
__global__ void fill_zero_kernel(T* p, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    p[i] = T(0);
}

template <class T>
__global__ void max_backward_kernel(Geometry g, const T* gy, const T* x, T* gx) {
  const int64_t total = g.planes * g.OH * g.OW;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t plane = i / (g.OH * g.OW), r = i % (g.OH * g.OW);
    T best;
    const int64_t arg = window_argmax(x + plane * g.H * g.W, g, r / g.OW, r % g.OW, best);
    atomicAdd(gx + plane * g.H * g.W + arg, gy[i]);
  }
}

// Average window of output (oh, ow): rows [h0, h1) x columns [w0, w1) inside the image, torch's divisor.
__device__ __forceinline__ int64_t avg_window(const Geometry& g, int64_t oh, int64_t ow, int64_t& h0, int64_t& h1,
                                              int64_t& w0, int64_t& w1) {
  h0 = oh * g.sh - g.ph;
  w0 = ow * g.sw - g.pw;
  h1 = h0 + g.kh < g.H + g.ph ? h0 + g.kh : g.H + g.ph;
  w1 = w0 + g.kw < g.W + g.pw ? w0 + g.kw : g.W + g.pw;
  const int64_t with_pad = (h1 - h0) * (w1 - w0);
  h0 = h0 > 0 ? h0 : 0;
  w0 = w0 > 0 ? w0 : 0;
  h1 = h1 < g.H ? h1 : g.H;
  w1 = w1 < g.W ? w1 : g.W;
  return g.divisor_override ? g.divisor_override : g.count_include_pad ? with_pad : (h1 - h0) * (w1 - w0);
}

template <class T>
__global__ void avg_forward_kernel(Geometry g, const T* x, T* y) {
  const int64_t total = g.planes * g.OH * g.OW;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t plane = i / (g.OH * g.OW), r = i % (g.OH * g.OW);
    int64_t h0, h1, w0, w1;
    const int64_t div = avg_window(g, r / g.OW, r % g.OW, h0, h1, w0, w1);
    const T* p = x + plane * g.H * g.W;
    T sum = 0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) sum += p[h * g.W + w];
    y[i] = sum / T(div);
  }
}

template <class T>
__global__ void avg_backward_kernel(Geometry g, const T* gy, T* gx) {
  const int64_t total = g.planes * g.H * g.W;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t plane = i / (g.H * g.W), r = i % (g.H * g.W), ih = r / g.W, iw = r % g.W;
    // outputs whose window [o * s - p, o * s - p + k) holds this input, in range
    const int64_t oh_lo0 = ih + g.ph - g.kh + 1, ow_lo0 = iw + g.pw - g.kw + 1;
    int64_t oh0 = oh_lo0 <= 0 ? 0 : (oh_lo0 + g.sh - 1) / g.sh, ow0 = ow_lo0 <= 0 ? 0 : (ow_lo0 + g.sw - 1) / g.sw;
    int64_t oh1 = (ih + g.ph) / g.sh + 1, ow1 = (iw + g.pw) / g.sw + 1;
    oh1 = oh1 < g.OH ? oh1 : g.OH;
    ow1 = ow1 < g.OW ? ow1 : g.OW;
    const T* go = gy + plane * g.OH * g.OW;
    T sum = 0;
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        int64_t h0, h1, w0, w1;
        const int64_t div = avg_window(g, oh, ow, h0, h1, w0, w1);
        sum += go[oh * g.OW + ow] / T(div);
      }
    }
    gx[i] = sum;
  }
}

}  // namespace

template <class T>
void max_pool2d_forward(const Pool2dShape& s, const Pool2dParams& p, const T* x, T* y, int64_t* indices,
                        cudaStream_t stream) {
  launch_grid_stride(max_forward_kernel<T>, s.planes * s.OH * s.OW, stream, geometry(s, p), x, y, indices);
}

template <class T>
void max_pool2d_backward(const Pool2dShape& s, const Pool2dParams& p, const T* gy, const T* x, T* gx,
                         cudaStream_t stream) {
  launch_grid_stride(fill_zero_kernel<T>, s.planes * s.H * s.W, stream, gx, s.planes * s.H * s.W);
  launch_grid_stride(max_backward_kernel<T>, s.planes * s.OH * s.OW, stream, geometry(s, p), gy, x, gx);
}

template <class T>
void avg_pool2d_forward(const Pool2dShape& s, const Pool2dParams& p, const T* x, T* y, cudaStream_t stream) {
  launch_grid_stride(avg_forward_kernel<T>, s.planes * s.OH * s.OW, stream, geometry(s, p), x, y);
}

template <class T>
void avg_pool2d_backward(const Pool2dShape& s, const Pool2dParams& p, const T* gy, T* gx, cudaStream_t stream) {
  launch_grid_stride(avg_backward_kernel<T>, s.planes * s.H * s.W, stream, geometry(s, p), gy, gx);
}

#define FASTNN_POOL_INSTANCES(T)                                                                                 \
  template void max_pool2d_forward<T>(const Pool2dShape&, const Pool2dParams&, const T*, T*, int64_t*, cudaStream_t); \
  template void max_pool2d_backward<T>(const Pool2dShape&, const Pool2dParams&, const T*, const T*, T*, cudaStream_t); \
  template void avg_pool2d_forward<T>(const Pool2dShape&, const Pool2dParams&, const T*, T*, cudaStream_t);      \
  template void avg_pool2d_backward<T>(const Pool2dShape&, const Pool2dParams&, const T*, T*, cudaStream_t);
FASTNN_POOL_INSTANCES(float)
FASTNN_POOL_INSTANCES(double)
#undef FASTNN_POOL_INSTANCES

}  // namespace cuda
}  // namespace fastnn
