// conv.cu — conv2d on CUDA as im2col + the tiled GEMM (cuda/gemm.cu); the same source runs on the CPU
// through the SIMT emulator. Per image n and group g (Og, K, P as in ops/conv.cpp):
//   forward:  col = im2col(x[n, g]);  y[n, g] = W_g · col + bias          (bias in the GEMM's store)
//   weight:   dW_g += dy[n, g] · colᵀ (the first image's product overwrites: beta 0)
//   input:    dcol = W_gᵀ · dy[n, g];  dx[n, g] = col2im(dcol), a gather (one thread per input element sums
//             the taps that read it: no atomics, deterministic)
//   bias:     one block per channel reduces dy over images and positions
// The launches of one call share the caller's stream, so consecutive GEMMs accumulating into dW are
// ordered. col scratch: cudaMalloc'd per call (simple; a caching allocator would save the ~0.1 ms).
// bench: fastnn-bench --filter conv (GPU columns when a GPU is present)
#include "cuda/conv.h"

#include <cstdint>

#include "cuda/gemm.h"

namespace fastnn {
namespace cuda {
namespace {

// col[r, q] for r = (c, kh, kw), q = (oh, ow)
template <class T>
__global__ void im2col_kernel(ConvGeometry g, const T* x, T* col) {
  const int64_t P = g.OH * g.OW, total = g.C * g.KH * g.KW * P;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / P, q = i % P;
    const int64_t c = r / (g.KH * g.KW), kh = (r / g.KW) % g.KH, kw = r % g.KW;
    const int64_t ih = (q / g.OW) * g.SH - g.PT + kh * g.DH, iw = (q % g.OW) * g.SW - g.PL + kw * g.DW;
    col[i] = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? x[(c * g.H + ih) * g.W + iw] : T(0);
  }
}

// x[c, ih, iw] = sum of dcol[(c, kh, kw), (oh, ow)] over the taps with oh * SH - PT + kh * DH == ih (and w)
template <class T>
__global__ void col2im_kernel(ConvGeometry g, const T* dcol, T* x) {
  const int64_t P = g.OH * g.OW, total = g.C * g.H * g.W;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = i / (g.H * g.W), ih = (i / g.W) % g.H, iw = i % g.W;
    T sum = 0;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      const int64_t th = ih + g.PT - kh * g.DH;  // = oh * SH
      if (th < 0 || th % g.SH != 0 || th / g.SH >= g.OH) continue;
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t tw = iw + g.PL - kw * g.DW;
        if (tw < 0 || tw % g.SW != 0 || tw / g.SW >= g.OW) continue;
        sum += dcol[((c * g.KH + kh) * g.KW + kw) * P + (th / g.SH) * g.OW + tw / g.SW];
      }
    }
    x[i] = sum;
  }
}

// gb[o] = sum over n, q of gy[n, o, q]: one block of kGridStrideBlock threads per channel.
template <class T>
__global__ void channel_sum_kernel(const T* gy, int64_t N, int64_t C, int64_t P, T* gb) {
  FASTNN_DYNAMIC_SHARED(double, raw);  // double: aligned for either T
  T* part = reinterpret_cast<T*>(raw);
  const int64_t o = blockIdx.x;
  T sum = 0;
  for (int64_t i = threadIdx.x; i < N * P; i += blockDim.x) sum += gy[((i / P) * C + o) * P + i % P];
  part[threadIdx.x] = sum;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) part[threadIdx.x] += part[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) gb[o] = part[0];
}

template <class T>
void gemm_on(const GemmProblem<T>& g, cudaStream_t stream);
template <>
void gemm_on<float>(const GemmProblem<float>& g, cudaStream_t stream) { gemm_f32(g, stream); }
template <>
void gemm_on<double>(const GemmProblem<double>& g, cudaStream_t stream) { gemm_f64(g, stream); }

template <class T>
GemmProblem<T> product(int64_t M, int64_t N, int64_t K, const T* a, int64_t a_rs, int64_t a_cs, const T* b,
                       int64_t b_rs, int64_t b_cs, T* c, int64_t ldc, T beta, const T* bias_m) {
  return GemmProblem<T>{M, N, K, a, a_rs, a_cs, b, b_rs, b_cs, c, ldc, T(1), beta, bias_m, nullptr, false};
}

}  // namespace

template <class T>
void conv2d_forward(const Conv2dShape& s, const Conv2dParams& p, const T* x, const T* w, const T* bias, T* y,
                    cudaStream_t stream) {
  if (s.N == 0 || s.Cout == 0) return;
  const int64_t G = p.groups;
  DeviceScratch<T> col(s.direct ? 0 : s.K * s.P);
  for (int64_t n = 0; n < s.N; ++n) {
    for (int64_t g = 0; g < G; ++g) {
      const T* xg = x + (n * s.Cin + g * s.Cg) * s.H * s.W;
      if (!s.direct) launch_grid_stride(im2col_kernel<T>, s.K * s.P, stream, s.geo, xg, col.p);
      gemm_on<T>(product<T>(s.Og, s.P, s.K, w + g * s.Og * s.K, s.K, 1, s.direct ? xg : col.p, s.P, 1,
                            y + (n * s.Cout + g * s.Og) * s.P, s.P, T(0), bias ? bias + g * s.Og : nullptr),
                 stream);
    }
  }
}

template <class T>
void conv2d_backward(const Conv2dShape& s, const Conv2dParams& p, const T* gy, const T* x, const T* w, T* gx, T* gw,
                     T* gb, cudaStream_t stream) {
  const int64_t G = p.groups;
  if (gb && s.Cout > 0) {
    FASTNN_LAUNCH(channel_sum_kernel<T>, unsigned(s.Cout), kGridStrideBlock, kGridStrideBlock * sizeof(T), stream, gy,
                  s.N, s.Cout, s.P, gb);
    FASTNN_CUDA_CHECK(cudaGetLastError());
  }
  if (s.N == 0 || s.Cout == 0) {  // nothing flows back
    if (gx) FASTNN_CUDA_CHECK(cudaMemsetAsync(gx, 0, size_t(s.N * s.Cin * s.H * s.W) * sizeof(T), stream));
    if (gw) FASTNN_CUDA_CHECK(cudaMemsetAsync(gw, 0, size_t(s.Cout * s.K) * sizeof(T), stream));
    return;
  }
  DeviceScratch<T> col(s.direct || !gw ? 0 : s.K * s.P), dcol(s.direct || !gx ? 0 : s.K * s.P);
  for (int64_t n = 0; n < s.N; ++n) {
    for (int64_t g = 0; g < G; ++g) {
      const T* xg = x + (n * s.Cin + g * s.Cg) * s.H * s.W;
      const T* gyg = gy + (n * s.Cout + g * s.Og) * s.P;
      const T* wg = w + g * s.Og * s.K;
      if (gw) {
        if (!s.direct) launch_grid_stride(im2col_kernel<T>, s.K * s.P, stream, s.geo, xg, col.p);
        // dW_g (+)= dy_g (Og x P) · colᵀ: op(B)(q, k) = col[k * P + q]
        gemm_on<T>(product<T>(s.Og, s.K, s.P, gyg, s.P, 1, s.direct ? xg : col.p, 1, s.P, gw + g * s.Og * s.K, s.K,
                              n == 0 ? T(0) : T(1), nullptr),
                   stream);
      }
      if (gx) {
        T* gxg = gx + (n * s.Cin + g * s.Cg) * s.H * s.W;
        // dcol (K x P) = W_gᵀ · dy_g: op(A)(k, o) = w_g[o * K + k]
        gemm_on<T>(product<T>(s.K, s.P, s.Og, wg, 1, s.K, gyg, s.P, 1, s.direct ? gxg : dcol.p, s.P, T(0), nullptr),
                   stream);
        if (!s.direct) launch_grid_stride(col2im_kernel<T>, s.Cg * s.H * s.W, stream, s.geo, dcol.p, gxg);
      }
    }
  }
}

template void conv2d_forward<float>(const Conv2dShape&, const Conv2dParams&, const float*, const float*, const float*,
                                    float*, cudaStream_t);
template void conv2d_forward<double>(const Conv2dShape&, const Conv2dParams&, const double*, const double*,
                                     const double*, double*, cudaStream_t);
template void conv2d_backward<float>(const Conv2dShape&, const Conv2dParams&, const float*, const float*, const float*,
                                     float*, float*, float*, cudaStream_t);
template void conv2d_backward<double>(const Conv2dShape&, const Conv2dParams&, const double*, const double*,
                                      const double*, double*, double*, double*, cudaStream_t);

}  // namespace cuda
}  // namespace fastnn
