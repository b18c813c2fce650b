// norm.cu — batch and layer normalization on CUDA (the same source runs on the CPU through the SIMT
// emulator), with the CPU path's arithmetic: sums in double around a shift k (the channel's / row's first
// element, so that the variance does not cancel), y = (x - mean) * scale + shift.
//   batch_norm:  one 256-thread block per channel sums its N*L values (fixed order: deterministic) and
//                turns them into the channel's mean, invstd, running-statistics update and affine
//                coefficients (eval mode: from the running statistics); then one grid-stride pass
//                writes y. The backward: one block per channel for sum gy and sum gy (x - mean), which
//                give grad_weight / grad_bias and the coefficients of gx = k1 gy + k2 (x - mean) + k3;
//                then one grid-stride pass writes gx.
//   layer_norm:  one block per row (statistics, then y). The backward: one block per row for gx; the
//                weight / bias gradients one thread per column walking the rows in order (coalesced
//                across columns).
// shapes: x (N, C, L) contiguous for batch norm (L = 1: (N, C)); (M, d) for layer norm.
// bench: fastnn-bench --filter norm (GPU columns when a GPU is present)
#include "cuda/norm.h"

#include <cmath>
#include <cstdint>

#include "cuda/reduce.h"

namespace fastnn {
namespace cuda {
namespace {

constexpr int kNormBlock = 256;

// Per-channel coefficients of batch norm's elementwise passes: y = (x - m) a + b; gx = k1 gy + k2 (x - m) + k3.
template <class T>
struct BnCoef {
  T *a, *b;          // forward (C each)
  T *k1, *k2, *k3;   // backward
};

__device__ __forceinline__ int64_t bn_index(const BnShape& s, int64_t c, int64_t i) {
  return ((i / s.L) * s.C + c) * s.L + i % s.L;  // the i-th value of channel c: image i / L, position i % L
}

template <class T>
__global__ void bn_prepare_kernel(BatchNormArgs<T> p, BnCoef<T> coef) {
  __shared__ double part[kNormBlock];
  const int64_t c = blockIdx.x, M = p.s.N * p.s.L;
  double mean, var;
  if (p.training) {
    const double k = M > 0 ? double(p.x[bn_index(p.s, c, 0)]) : 0.0;
    double s1 = 0, s2 = 0;
    for (int64_t i = threadIdx.x; i < M; i += blockDim.x) {
      const double v = double(p.x[bn_index(p.s, c, i)]) - k;
      s1 += v;
      s2 += v * v;
    }
    s1 = block_sum<kNormBlock>(s1, part);
    __syncthreads();
    s2 = block_sum<kNormBlock>(s2, part);
    const double m1 = s1 / double(M);
    mean = k + m1;
    var = s2 / double(M) - m1 * m1;
    var = var > 0 ? var : 0.0;
  } else {
    mean = double(p.running_mean[c]);
    var = double(p.running_var[c]);
  }
  if (threadIdx.x != 0) return;
  if (p.training && p.running_mean)
    p.running_mean[c] = T((1 - p.factor) * double(p.running_mean[c]) + p.factor * mean);
  if (p.training && p.running_var) {
    const double unbias = M > 1 ? double(M) / double(M - 1) : NAN;
    p.running_var[c] = T((1 - p.factor) * double(p.running_var[c]) + p.factor * var * unbias);
  }
  const double invstd = 1.0 / sqrt(var + p.eps);
  p.save_mean[c] = T(mean);
  p.save_invstd[c] = T(invstd);
  coef.a[c] = T((p.w ? double(p.w[c]) : 1.0) * invstd);
  coef.b[c] = p.b ? p.b[c] : T(0);
}

template <class T>
__global__ void bn_affine_kernel(BnShape s, const T* x, const T* m, const T* a, const T* b, T* y, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (i / s.L) % s.C;
    y[i] = (x[i] - m[c]) * a[c] + b[c];
  }
}

template <class T>
__global__ void bn_grad_prepare_kernel(BatchNormGradArgs<T> p, BnCoef<T> coef, bool sums) {
  __shared__ double part[kNormBlock];
  const int64_t c = blockIdx.x, M = p.s.N * p.s.L;
  double sg = 0, sgx = 0;
  if (sums) {  // (uniform across the block)
    const double m = double(p.save_mean[c]);
    for (int64_t i = threadIdx.x; i < M; i += blockDim.x) {
      const int64_t at = bn_index(p.s, c, i);
      const double g = double(p.gy[at]);
      sg += g;
      sgx += g * (double(p.x[at]) - m);
    }
    sg = block_sum<kNormBlock>(sg, part);
    __syncthreads();
    sgx = block_sum<kNormBlock>(sgx, part);
  }
  if (threadIdx.x != 0) return;
  const double invstd = double(p.save_invstd[c]), a = (p.w ? double(p.w[c]) : 1.0) * invstd;
  if (p.gb) p.gb[c] = T(sg);
  if (p.gw) p.gw[c] = T(sgx * invstd);
  coef.k1[c] = T(a);
  const bool through_stats = p.training && M > 0;
  coef.k2[c] = through_stats ? T(-a * invstd * invstd * sgx / double(M)) : T(0);
  coef.k3[c] = through_stats ? T(-a * sg / double(M)) : T(0);
}

template <class T>
__global__ void bn_lincomb_kernel(BnShape s, const T* gy, const T* x, const T* m, BnCoef<T> coef, T* gx, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (i / s.L) % s.C;
    gx[i] = coef.k1[c] * gy[i] + coef.k2[c] * (x[i] - m[c]) + coef.k3[c];
  }
}

template <class T>
__global__ void ln_forward_kernel(const T* x, int64_t d, const T* w, const T* b, double eps, T* y, T* mean, T* rstd) {
  __shared__ double part[kNormBlock];
  const int64_t r = blockIdx.x;
  const T* xr = x + r * d;
  const double k = double(xr[0]);
  double s1 = 0, s2 = 0;
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
    const double v = double(xr[j]) - k;
    s1 += v;
    s2 += v * v;
  }
  s1 = block_sum<kNormBlock>(s1, part);
  __syncthreads();
  s2 = block_sum<kNormBlock>(s2, part);
  const double m1 = s1 / double(d), var_raw = s2 / double(d) - m1 * m1;
  const double mu = k + m1, rs = 1.0 / sqrt((var_raw > 0 ? var_raw : 0.0) + eps);
  if (threadIdx.x == 0) {
    mean[r] = T(mu);
    rstd[r] = T(rs);
  }
  const T m = T(mu), s = T(rs);
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
    T v = (xr[j] - m) * s;
    if (w) v *= w[j];
    if (b) v += b[j];
    y[r * d + j] = v;
  }
}

template <class T>
__global__ void ln_backward_kernel(const T* gy, const T* x, int64_t d, const T* w, const T* mean, const T* rstd,
                                   T* gx) {
  __shared__ double part[kNormBlock];
  const int64_t r = blockIdx.x;
  const T m = mean[r], s = rstd[r];
  const T *g = gy + r * d, *xr = x + r * d;
  double A = 0, B = 0;  // sum gy w, sum gy w xhat
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
    const double gw = double(g[j]) * (w ? double(w[j]) : 1.0);
    A += gw;
    B += gw * double((xr[j] - m) * s);
  }
  A = block_sum<kNormBlock>(A, part);
  __syncthreads();
  B = block_sum<kNormBlock>(B, part);
  const T a = T(A / double(d)), bb = T(B / double(d));
  for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
    const T gw = w ? g[j] * w[j] : g[j];
    gx[r * d + j] = s * (gw - a - (xr[j] - m) * s * bb);
  }
}

template <class T>
__global__ void ln_param_grads_kernel(const T* gy, const T* x, int64_t M, int64_t d, const T* mean, const T* rstd,
                                      T* gw, T* gb) {
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < d; j += int64_t(gridDim.x) * blockDim.x) {
    double sw = 0, sb = 0;
    for (int64_t r = 0; r < M; ++r) {
      const T g = gy[r * d + j];
      sw += double(g * ((x[r * d + j] - mean[r]) * rstd[r]));
      sb += double(g);
    }
    if (gw) gw[j] = T(sw);
    if (gb) gb[j] = T(sb);
  }
}

}  // namespace

template <class T>
void batch_norm(const BatchNormArgs<T>& a, cudaStream_t stream) {
  const int64_t C = a.s.C, n = a.s.N * a.s.C * a.s.L;
  if (C == 0) return;
  DeviceScratch<T> scratch(2 * C);
  const BnCoef<T> coef{scratch.p, scratch.p + C, nullptr, nullptr, nullptr};
  FASTNN_LAUNCH(bn_prepare_kernel<T>, unsigned(C), kNormBlock, 0, stream, a, coef);
  FASTNN_CUDA_CHECK(cudaGetLastError());
  launch_grid_stride(bn_affine_kernel<T>, n, stream, a.s, a.x, static_cast<const T*>(a.save_mean),
                     static_cast<const T*>(coef.a), static_cast<const T*>(coef.b), a.y, n);
}

template <class T>
void batch_norm_backward(const BatchNormGradArgs<T>& a, cudaStream_t stream) {
  const int64_t C = a.s.C, n = a.s.N * a.s.C * a.s.L;
  if (C == 0) return;
  DeviceScratch<T> scratch(3 * C);
  const BnCoef<T> coef{nullptr, nullptr, scratch.p, scratch.p + C, scratch.p + 2 * C};
  const bool sums = a.gw || a.gb || (a.gx && a.training);
  FASTNN_LAUNCH(bn_grad_prepare_kernel<T>, unsigned(C), kNormBlock, 0, stream, a, coef, sums);
  FASTNN_CUDA_CHECK(cudaGetLastError());
  if (a.gx) launch_grid_stride(bn_lincomb_kernel<T>, n, stream, a.s, a.gy, a.x, a.save_mean, coef, a.gx, n);
}

template <class T>
void layer_norm(const T* x, int64_t M, int64_t d, const T* w, const T* b, double eps, T* y, T* mean, T* rstd,
                cudaStream_t stream) {
  if (M == 0) return;
  FASTNN_LAUNCH(ln_forward_kernel<T>, unsigned(M), kNormBlock, 0, stream, x, d, w, b, eps, y, mean, rstd);
  FASTNN_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void layer_norm_backward(const T* gy, const T* x, int64_t M, int64_t d, const T* w, const T* mean, const T* rstd,
                         T* gx, T* gw, T* gb, cudaStream_t stream) {
  if (gx && M > 0) {
    FASTNN_LAUNCH(ln_backward_kernel<T>, unsigned(M), kNormBlock, 0, stream, gy, x, d, w, mean, rstd, gx);
    FASTNN_CUDA_CHECK(cudaGetLastError());
  }
  if (gw || gb) launch_grid_stride(ln_param_grads_kernel<T>, d, stream, gy, x, M, d, mean, rstd, gw, gb);
}

#define FASTNN_CUDA_NORM_INSTANCES(T)                                                                             \
  template void batch_norm<T>(const BatchNormArgs<T>&, cudaStream_t);                                              \
  template void batch_norm_backward<T>(const BatchNormGradArgs<T>&, cudaStream_t);                                 \
  template void layer_norm<T>(const T*, int64_t, int64_t, const T*, const T*, double, T*, T*, T*, cudaStream_t);    \
  template void layer_norm_backward<T>(const T*, const T*, int64_t, int64_t, const T*, const T*, const T*, T*, T*, \
                                       T*, cudaStream_t);
FASTNN_CUDA_NORM_INSTANCES(float)
FASTNN_CUDA_NORM_INSTANCES(double)
#undef FASTNN_CUDA_NORM_INSTANCES

}  // namespace cuda
}  // namespace fastnn
