// softmax.cu — softmax / log_softmax (forward, backward) and fused cross-entropy on CUDA (the same source
// runs on the CPU through the SIMT emulator). Formulas and torch's semantics: ops/softmax.h.
//   rows (softmax over the last dim, inner == 1): one warp per row, grid-stride over rows; each lane
//     walks the row with stride 32 (coalesced), max / sums by warp xor-butterflies: a pass for the max,
//     one for exp and its sum, one to write. Suits rows up to a few thousand elements (classifier logits).
//   columns (any other dim): one thread per (outer, inner) position, walking D with stride inner;
//     neighbouring threads read neighbouring addresses.
//   cross-entropy (class indices, nll_loss's log-probabilities, class probabilities): (1) one block checks
//     the targets and sums the kept rows' weights (the mean's divisor; probabilities: N),
//     (2) one warp per row computes lse, the row's loss and its gradient row in one pass set, each block
//     writing the sum of its rows' losses, (3) one block adds the blocks' sums in order. Deterministic.
//     A target outside [0, C) (other than ignore_index) raises IndexError after the launches: the flag
//     is read back, so the call synchronizes its stream (torch's CUDA kernel asserts on the device).
// bench: fastnn-bench --filter softmax (GPU columns when a GPU is present)
#include "cuda/softmax.h"

#include <cstdint>

#include "core/error.h"
#include "math/traits_ref.h"
#include "cuda/reduce.h"

namespace fastnn {
namespace cuda {
namespace {

constexpr int kWarpsPerBlock = 8;  // blocks of 256 threads: 8 rows at a time
constexpr int kRowBlock = 32 * kWarpsPerBlock;

template <class T>
using S = ref::Scalar<T>;  // exp, log: CUDA's device libm (the emulator: the host's)

__device__ __forceinline__ int64_t warp_id() { return (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32; }
__device__ __forceinline__ int64_t warp_count() { return int64_t(gridDim.x) * blockDim.x / 32; }
__device__ __forceinline__ int lane() { return int(threadIdx.x % 32); }

int row_blocks(int64_t rows) {
  const int64_t b = (rows + kWarpsPerBlock - 1) / kWarpsPerBlock;
  return int(b < 4096 ? b : 4096);
}

template <class T>
__global__ void softmax_rows_kernel(const T* x, T* y, int64_t rows, int64_t D, bool log) {
  for (int64_t r = warp_id(); r < rows; r += warp_count()) {
    const T* xr = x + r * D;
    T* yr = y + r * D;
    T m = -T(INFINITY);
    for (int64_t j = lane(); j < D; j += 32) m = MaxNanOp()(m, xr[j]);
    m = warp_allreduce(m, MaxNanOp());
    T s = 0;
    for (int64_t j = lane(); j < D; j += 32) {
      const T e = S<T>::exp(xr[j] - m);
      if (!log) yr[j] = e;  // (y may be x: x[j] is not read again)
      s += e;
    }
    s = warp_allreduce(s, SumOp());
    if (log) {
      const T lse = m + S<T>::log(s);
      for (int64_t j = lane(); j < D; j += 32) yr[j] = xr[j] - lse;
    } else {
      const T inv = T(1) / s;
      for (int64_t j = lane(); j < D; j += 32) yr[j] *= inv;
    }
  }
}

template <class T>
__global__ void softmax_backward_rows_kernel(const T* gy, const T* y, T* gx, int64_t rows, int64_t D, bool log) {
  for (int64_t r = warp_id(); r < rows; r += warp_count()) {
    const T *g = gy + r * D, *yr = y + r * D;
    T* d = gx + r * D;
    T s = 0;
    for (int64_t j = lane(); j < D; j += 32) s += log ? g[j] : g[j] * yr[j];
    s = warp_allreduce(s, SumOp());
    for (int64_t j = lane(); j < D; j += 32) d[j] = log ? g[j] - S<T>::exp(yr[j]) * s : yr[j] * (g[j] - s);
  }
}

template <class T>
__global__ void softmax_cols_kernel(const T* x, T* y, SoftmaxLayout l, bool log) {
  const int64_t total = l.outer * l.inner;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < total; c += int64_t(gridDim.x) * blockDim.x) {
    const int64_t base = (c / l.inner) * l.D * l.inner + c % l.inner;
    T m = -T(INFINITY);
    for (int64_t d = 0; d < l.D; ++d) m = MaxNanOp()(m, x[base + d * l.inner]);
    T s = 0;
    for (int64_t d = 0; d < l.D; ++d) {
      const T e = S<T>::exp(x[base + d * l.inner] - m);
      if (!log) y[base + d * l.inner] = e;
      s += e;
    }
    const T k = log ? m + S<T>::log(s) : T(1) / s;
    for (int64_t d = 0; d < l.D; ++d) {
      const int64_t i = base + d * l.inner;
      y[i] = log ? x[i] - k : y[i] * k;
    }
  }
}

template <class T>
__global__ void softmax_backward_cols_kernel(const T* gy, const T* y, T* gx, SoftmaxLayout l, bool log) {
  const int64_t total = l.outer * l.inner;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < total; c += int64_t(gridDim.x) * blockDim.x) {
    const int64_t base = (c / l.inner) * l.D * l.inner + c % l.inner;
    T s = 0;
    for (int64_t d = 0; d < l.D; ++d) {
      const int64_t i = base + d * l.inner;
      s += log ? gy[i] : gy[i] * y[i];
    }
    for (int64_t d = 0; d < l.D; ++d) {
      const int64_t i = base + d * l.inner;
      gx[i] = log ? gy[i] - S<T>::exp(y[i]) * s : y[i] * (gy[i] - s);
    }
  }
}

// ---- cross-entropy ----

// scratch (double): [0] the divisor (mean: the kept rows' total weight; else 1), [1] 1 if a target is out
// of range, [2] one such target, [3, 3 + blocks) the blocks' loss sums.
constexpr int64_t kCeHeader = 3;

template <class T>
struct CeArgs : CrossEntropyRows<T> {
  T eps;            // label smoothing in T
  double* scratch;  // see kCeHeader
};

template <class T>
__global__ void ce_prepare_kernel(CeArgs<T> a) {
  __shared__ double part[kRowBlock];
  if (threadIdx.x == 0) a.scratch[1] = 0;
  __syncthreads();
  double w = 0;
  if (a.p.form == CeForm::Probs) {  // the mean is over the rows
    if (threadIdx.x == 0) a.scratch[0] = a.p.reduction == Reduction::Mean ? double(a.N) : 1.0;
    return;
  }
  for (int64_t i = threadIdx.x; i < a.N; i += blockDim.x) {
    const int64_t t = a.target[i];
    if (t == a.p.ignore_index) continue;
    if (t < 0 || t >= a.C) {
      a.scratch[1] = 1;  // every writer stores the same flag; any one bad target is reported
      a.scratch[2] = double(t);
      continue;
    }
    w += a.weight ? double(a.weight[t]) : 1.0;
  }
  w = block_sum<kRowBlock>(w, part);
  if (threadIdx.x == 0) a.scratch[0] = a.p.reduction == Reduction::Mean ? w : 1.0;
}

template <class T>
__device__ __forceinline__ T ce_scale(const CeArgs<T>& a, int64_t r, double norm) {
  const T up = a.grad_output ? a.grad_output[a.p.reduction == Reduction::None ? r : 0] : T(1);
  return T(double(up) / norm);
}

// The warp's row r for class indices (logits: Indices, log-probabilities: Nll); returns its loss.
template <class T>
__device__ double ce_index_row(const CeArgs<T>& a, int64_t r, double norm) {
  const T* x = a.x + r * a.C;
  T* g = a.grad ? a.grad + r * a.C : nullptr;
  const int64_t t = a.target[r];
  if (t == a.p.ignore_index || t < 0 || t >= a.C) {  // (out of range: raised after the launches)
    if (g)
      for (int64_t j = lane(); j < a.C; j += 32) g[j] = T(0);
    return 0.0;
  }
  const T wt = a.weight ? a.weight[t] : T(1);
  if (a.p.form == CeForm::Nll) {
    if (g) {
      const T hit = -ce_scale(a, r, norm) * wt;
      for (int64_t j = lane(); j < a.C; j += 32) g[j] = j == t ? hit : T(0);
    }
    return -double(wt) * double(x[t]);
  }
  T m = -T(INFINITY);
  for (int64_t j = lane(); j < a.C; j += 32) m = MaxNanOp()(m, x[j]);
  m = warp_allreduce(m, MaxNanOp());
  T s = 0, wx = 0, wsum = 0;  // sum exp(x - m); for label smoothing: sum w_j x_j, sum w_j
  for (int64_t j = lane(); j < a.C; j += 32) {
    s += S<T>::exp(x[j] - m);
    if (a.eps != T(0)) {
      const T wj = a.weight ? a.weight[j] : T(1);
      wx += wj * x[j];
      wsum += wj;
    }
  }
  s = warp_allreduce(s, SumOp());
  const T lse = m + S<T>::log(s);
  double loss = -double(wt) * double(x[t] - lse);
  if (a.eps != T(0)) {
    wx = warp_allreduce(wx, SumOp());
    wsum = warp_allreduce(wsum, SumOp());
    loss = (1.0 - double(a.eps)) * loss + double(a.eps) / double(a.C) * -(double(wx) - double(lse) * double(wsum));
  } else {
    wsum = T(a.C);
  }
  if (g) {
    // dx_j = scale * (p_j ((1 - eps) w_t + eps/C sum w) - (1 - eps) w_t [j == t] - eps/C w_j), p_j = exp(x_j - lse)
    const T scale = ce_scale(a, r, norm);
    const T coef = scale * ((T(1) - a.eps) * wt + a.eps / T(a.C) * wsum);
    const T smooth = scale * a.eps / T(a.C);
    const T hit = scale * (T(1) - a.eps) * wt;
    for (int64_t j = lane(); j < a.C; j += 32)
      g[j] = S<T>::exp(x[j] - lse) * coef - smooth * (a.weight ? a.weight[j] : T(1)) - (j == t ? hit : T(0));
  }
  return loss;
}

// The warp's row r against class probabilities y (smoothed: y' = (1 - eps) y + eps / C):
// loss = lse * Sw - Swx (Sw = sum w_j y'_j, Swx = sum w_j y'_j x_j); gradient scale (p_j Sw - w_j y'_j).
template <class T>
__device__ double ce_probs_row(const CeArgs<T>& a, int64_t r, double norm) {
  const T* x = a.x + r * a.C;
  const T* y = a.probs + r * a.C;
  const T keep = T(1) - a.eps, spread = a.eps / T(a.C);
  T m = -T(INFINITY);
  for (int64_t j = lane(); j < a.C; j += 32) m = MaxNanOp()(m, x[j]);
  m = warp_allreduce(m, MaxNanOp());
  T s = 0;
  double sw = 0, swx = 0;
  for (int64_t j = lane(); j < a.C; j += 32) {
    s += S<T>::exp(x[j] - m);
    const double wy = double(a.weight ? a.weight[j] : T(1)) * double(y[j] * keep + spread);
    sw += wy;
    swx += wy * double(x[j]);
  }
  s = warp_allreduce(s, SumOp());
  sw = warp_allreduce(sw, SumOp());
  swx = warp_allreduce(swx, SumOp());
  const T lse = m + S<T>::log(s);
  if (a.grad) {
    T* g = a.grad + r * a.C;
    const T scale = ce_scale(a, r, norm);
    const T coef = scale * T(sw);
    for (int64_t j = lane(); j < a.C; j += 32)
      g[j] = S<T>::exp(x[j] - lse) * coef - scale * (a.weight ? a.weight[j] : T(1)) * (y[j] * keep + spread);
  }
  return double(lse) * sw - swx;
}

template <class T>
__global__ void ce_rows_kernel(CeArgs<T> a) {
  __shared__ double warp_loss[kWarpsPerBlock];
  double my_loss = 0;  // this warp's rows (identical in every lane)
  const double norm = a.scratch[0];
  for (int64_t r = warp_id(); r < a.N; r += warp_count()) {
    const double loss = a.p.form == CeForm::Probs ? ce_probs_row(a, r, norm) : ce_index_row(a, r, norm);
    if (a.loss_rows && lane() == 0) a.loss_rows[r] = T(loss);
    my_loss += loss;
  }
  if (lane() == 0) warp_loss[threadIdx.x / 32] = my_loss;
  __syncthreads();
  if (threadIdx.x == 0) {
    double sum = 0;
    for (int w = 0; w < kWarpsPerBlock; ++w) sum += warp_loss[w];
    a.scratch[kCeHeader + blockIdx.x] = sum;
  }
}

template <class T>
__global__ void ce_finish_kernel(const double* scratch, int blocks, T* loss_out) {
  __shared__ double part[kRowBlock];
  double s = 0;
  for (int b = threadIdx.x; b < blocks; b += blockDim.x) s += scratch[kCeHeader + b];
  s = block_sum<kRowBlock>(s, part);
  if (threadIdx.x == 0) loss_out[0] = T(s / scratch[0]);  // mean over no kept rows: 0 / 0 = NaN, as torch
}

}  // namespace

template <class T>
void softmax_forward(const SoftmaxLayout& l, const T* x, T* y, bool log, cudaStream_t stream) {
  if (l.outer * l.D * l.inner == 0) return;
  if (l.inner == 1) {
    FASTNN_LAUNCH(softmax_rows_kernel<T>, row_blocks(l.outer), kRowBlock, 0, stream, x, y, l.outer, l.D, log);
    FASTNN_CUDA_CHECK(cudaGetLastError());
  } else {
    launch_grid_stride(softmax_cols_kernel<T>, l.outer * l.inner, stream, x, y, l, log);
  }
}

template <class T>
void softmax_backward(const SoftmaxLayout& l, const T* gy, const T* y, T* gx, bool log, cudaStream_t stream) {
  if (l.outer * l.D * l.inner == 0) return;
  if (l.inner == 1) {
    FASTNN_LAUNCH(softmax_backward_rows_kernel<T>, row_blocks(l.outer), kRowBlock, 0, stream, gy, y, gx, l.outer, l.D,
                  log);
    FASTNN_CUDA_CHECK(cudaGetLastError());
  } else {
    launch_grid_stride(softmax_backward_cols_kernel<T>, l.outer * l.inner, stream, gy, y, gx, l, log);
  }
}

template <class T>
void cross_entropy(const CrossEntropyRows<T>& rows, T* loss, cudaStream_t stream) {
  const CrossEntropyParams& p = rows.p;
  const int64_t N = rows.N;
  const bool none = p.reduction == Reduction::None;
  if (N == 0) {  // torch: mean over nothing is NaN, the sum 0
    if (!none) {
      const T v = p.reduction == Reduction::Mean ? T(NAN) : T(0);
      FASTNN_CUDA_CHECK(cudaMemcpyAsync(loss, &v, sizeof(T), cudaMemcpyHostToDevice, stream));
      FASTNN_CUDA_CHECK(cudaStreamSynchronize(stream));  // (v lives on this stack frame)
    }
    return;
  }
  const int blocks = row_blocks(N);
  DeviceScratch<double> scratch(kCeHeader + blocks);
  const CeArgs<T> a{rows, T(p.label_smoothing), scratch.p};
  FASTNN_LAUNCH(ce_prepare_kernel<T>, 1, kRowBlock, 0, stream, a);
  FASTNN_CUDA_CHECK(cudaGetLastError());
  FASTNN_LAUNCH(ce_rows_kernel<T>, blocks, kRowBlock, 0, stream, a);
  FASTNN_CUDA_CHECK(cudaGetLastError());
  if (!none) {
    FASTNN_LAUNCH(ce_finish_kernel<T>, 1, kRowBlock, 0, stream, static_cast<const double*>(scratch.p), blocks, loss);
    FASTNN_CUDA_CHECK(cudaGetLastError());
  }
  double bad[2];
  FASTNN_CUDA_CHECK(cudaMemcpyAsync(bad, scratch.p + 1, sizeof(bad), cudaMemcpyDeviceToHost, stream));
  FASTNN_CUDA_CHECK(cudaStreamSynchronize(stream));
  if (bad[0] != 0)
    fail(ErrorKind::Index, p.form == CeForm::Nll ? "nll_loss" : "cross_entropy", ": Target ", int64_t(bad[1]),
         " is out of bounds.");
}

#define FASTNN_CUDA_SOFTMAX(T)                                                                                   \
  template void softmax_forward<T>(const SoftmaxLayout&, const T*, T*, bool, cudaStream_t);                      \
  template void softmax_backward<T>(const SoftmaxLayout&, const T*, const T*, T*, bool, cudaStream_t);           \
  template void cross_entropy<T>(const CrossEntropyRows<T>&, T*, cudaStream_t);
FASTNN_CUDA_SOFTMAX(float)
FASTNN_CUDA_SOFTMAX(double)
#undef FASTNN_CUDA_SOFTMAX

}  // namespace cuda
}  // namespace fastnn
