// loss.cu — the pointwise losses of cpu/loss.h on CUDA (the same source runs on the CPU through the SIMT
// emulator); the math is the CPU reference's (math/loss_math.h over math/traits_ref.h).
//   forward: a fixed grid of 256-thread blocks walks the elements grid-stride, each thread summing its
//     losses in double, each block writing its sum; one block then adds the block sums in order (mean:
//     divided by n). Deterministic. reduction 'none' writes every element's loss instead.
//   backward: elementwise, grad = upstream * dloss/dx (upstream: g[i] for 'none', else g[0] / n or g[0],
//     read on the device: no synchronization).
// shapes: x, y, w, pw, out, grad contiguous [n], 64-bit indices.
// bench: fastnn-bench --filter loss (GPU columns when a GPU is present)
#include "cuda/loss.h"

#include <cstdint>

#include "math/loss_math.h"
#include "math/traits_ref.h"
#include "cuda/reduce.h"

namespace fastnn {
namespace cuda {
namespace {

template <class T>
using LossMath = loss::Math<ref::Scalar<T>>;

constexpr int kLossBlock = 256;
constexpr int kLossMaxBlocks = 1024;

template <Loss L, class T>
__device__ __forceinline__ T loss_at(const LossOperands<T>& o, int64_t i) {
  T v = LossMath<T>::template value<L>(o.a, o.x[i], o.y[i], o.pw ? o.pw[i] : T(1));
  return o.w ? v * o.w[i] : v;
}

template <Loss L, class T>
__global__ void loss_forward_kernel(LossOperands<T> o, T* out_each, double* block_sums) {
  __shared__ double part[kLossBlock];
  double sum = 0;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < o.n; i += int64_t(gridDim.x) * blockDim.x) {
    const T v = loss_at<L>(o, i);
    if (out_each) out_each[i] = v;
    sum += double(v);
  }
  if (!block_sums) return;  // (uniform across the block: every thread returns, or none)
  sum = block_sum<kLossBlock>(sum, part);
  if (threadIdx.x == 0) block_sums[blockIdx.x] = sum;
}

template <class T>
__global__ void loss_finish_kernel(const double* block_sums, int blocks, double divisor, T* out) {
  __shared__ double part[kLossBlock];
  double s = 0;
  for (int b = threadIdx.x; b < blocks; b += blockDim.x) s += block_sums[b];
  s = block_sum<kLossBlock>(s, part);
  if (threadIdx.x == 0) out[0] = T(s / divisor);
}

template <Loss L, class T>
__global__ void loss_backward_kernel(LossOperands<T> o, const T* g, bool per_element, double norm, T* grad) {
  const T scale = per_element ? T(1) : T(double(g[0]) * norm);
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < o.n; i += int64_t(gridDim.x) * blockDim.x) {
    T v = LossMath<T>::template grad<L>(o.a, o.x[i], o.y[i], o.pw ? o.pw[i] : T(1));
    if (o.w) v *= o.w[i];
    grad[i] = v * (per_element ? g[i] : scale);
  }
}

template <Loss L, class T>
void forward(const LossOperands<T>& o, T* out, Reduction r, cudaStream_t stream) {
  if (r == Reduction::None) return launch_grid_stride(loss_forward_kernel<L, T>, o.n, stream, o, out, nullptr);
  const int64_t want = (o.n + kLossBlock - 1) / kLossBlock;
  const int blocks = int(want < 1 ? 1 : want < kLossMaxBlocks ? want : kLossMaxBlocks);
  DeviceScratch<double> sums(blocks);
  auto* const kernel = loss_forward_kernel<L, T>;  // (a name with a comma would split the macro's arguments)
  FASTNN_LAUNCH(kernel, blocks, kLossBlock, 0, stream, o, static_cast<T*>(nullptr), sums.p);
  FASTNN_CUDA_CHECK(cudaGetLastError());
  // mean of nothing: 0 / 0 = NaN, as torch
  const double divisor = r == Reduction::Mean ? double(o.n) : 1.0;
  FASTNN_LAUNCH(loss_finish_kernel<T>, 1, kLossBlock, 0, stream, static_cast<const double*>(sums.p), blocks, divisor, out);
  FASTNN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

template <class T>
void pointwise_loss(Loss kind, const LossOperands<T>& o, T* out, Reduction r, cudaStream_t stream) {
  switch (kind) {
#define FASTNN_CUDA_LOSS_FWD(name) case Loss::name: return forward<Loss::name>(o, out, r, stream);
    FASTNN_LOSS_CASES(FASTNN_CUDA_LOSS_FWD)
#undef FASTNN_CUDA_LOSS_FWD
  }
}

template <class T>
void pointwise_loss_backward(Loss kind, const LossOperands<T>& o, const T* grad_output, T* grad, Reduction r,
                             cudaStream_t stream) {
  const bool none = r == Reduction::None;
  const double norm = r == Reduction::Mean && o.n ? 1.0 / double(o.n) : 1.0;
  switch (kind) {
#define FASTNN_CUDA_LOSS_BWD(name) \
  case Loss::name: return launch_grid_stride(loss_backward_kernel<Loss::name, T>, o.n, stream, o, grad_output, none, norm, grad);
    FASTNN_LOSS_CASES(FASTNN_CUDA_LOSS_BWD)
#undef FASTNN_CUDA_LOSS_BWD
  }
}

template void pointwise_loss<float>(Loss, const LossOperands<float>&, float*, Reduction, cudaStream_t);
template void pointwise_loss<double>(Loss, const LossOperands<double>&, double*, Reduction, cudaStream_t);
template void pointwise_loss_backward<float>(Loss, const LossOperands<float>&, const float*, float*, Reduction,
                                             cudaStream_t);
template void pointwise_loss_backward<double>(Loss, const LossOperands<double>&, const double*, double*, Reduction,
                                              cudaStream_t);

}  // namespace cuda
}  // namespace fastnn
