// cuda.h — the CUDA ops' entry points, one ops/<family>_cuda.cpp per family: validate the views with the
// CPU op's checks, then call the launchers of cuda/<family>.h. Compiled into fastnn._C_cuda (arrays in GPU
// memory) and, with FASTNN_SIMT, into the test module fastnn._C_cuda_emu (the same kernels on arrays in
// host memory, through the SIMT emulator); never into the CPU module.
#pragma once
#include "core/activation_params.h"
#include "core/array_view.h"
#include "cuda/launch.h"
#include "ops/conv.h"
#include "ops/gemm.h"
#include "ops/loss.h"
#include "ops/norm.h"
#include "ops/optim.h"
#include "ops/pool.h"
#include "ops/rnn.h"
#include "ops/softmax.h"

namespace fastnn {
namespace cuda {

#if defined(FASTNN_SIMT)
constexpr DeviceType kArrayDevice = DeviceType::CPU;
#else
constexpr DeviceType kArrayDevice = DeviceType::CUDA;
#endif

// The data of an optional array (null where there is none).
template <class T>
const T* data_or_null(const ArrayView* a) {
  return a ? a->as<const T>() : nullptr;
}
template <class T>
T* mut_or_null(const ArrayView* a) {
  return a ? a->as<T>() : nullptr;
}

void relu(const ArrayView& x, const ArrayView& y, cudaStream_t stream);
// As fastnn::matmul / sum_rows / linear_backward (ops/gemm.h), plus: the operands of a product must each
// have a unit stride in one dimension.
void matmul(const ArrayView& a, const ArrayView& b, const ArrayView& c, const ArrayView* bias_m,
            const ArrayView* bias_n, const MatmulOptions& opt, cudaStream_t stream, const MatmulNames& names = {});
void sum_rows(const ArrayView& x, const ArrayView& out, bool accumulate, cudaStream_t stream);
void linear_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                     const ArrayView* gw, const ArrayView* gb, cudaStream_t stream);
// As the CPU's ops/pool.h entry points, on device arrays (indices: device int64 array of out's shape, or null).
void max_pool2d(const ArrayView& x, const ArrayView& y, int64_t* indices, const Pool2dParams& p, cudaStream_t stream);
void max_pool2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& gx, const Pool2dParams& p,
                         cudaStream_t stream);
void avg_pool2d(const ArrayView& x, const ArrayView& y, const Pool2dParams& p, cudaStream_t stream);
void avg_pool2d_backward(const ArrayView& gy, const ArrayView& gx, const Pool2dParams& p, cudaStream_t stream);
// As the CPU's ops/conv.h entry points, on device arrays.
void conv2d(const ArrayView& x, const ArrayView& w, const ArrayView* bias, const ArrayView& y, const Conv2dParams& p,
            cudaStream_t stream);
void conv2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                     const ArrayView* gw, const ArrayView* gb, const Conv2dParams& p, cudaStream_t stream);
void relu_backward(const ArrayView& dy, const ArrayView& y, const ArrayView& dx, cudaStream_t stream);
// As the CPU's ops/dropout.h entry points; mask: device memory.
void dropout(const ArrayView& x, const ArrayView& y, uint8_t* mask, double p, uint64_t seed, cudaStream_t stream);
void dropout_backward(const ArrayView& dy, const uint8_t* mask, const ArrayView& dx, double p, cudaStream_t stream);
// As the CPU's ops/optim.h optimizer_step, on device arrays (a few launches per call, not one per tensor).
void optimizer_step(const OptimBatch& b, const OptimHyper& hp, cudaStream_t stream);
// As the CPU's ops/loss.h entry points, on device arrays.
void pointwise_loss(Loss kind, double a, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                    const ArrayView* pw, const ArrayView& out, Reduction r, cudaStream_t stream);
void pointwise_loss_backward(Loss kind, double a, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                             const ArrayView* pw, const ArrayView& grad_output, const ArrayView& grad, Reduction r,
                             cudaStream_t stream);
// As the CPU's ops/softmax.h entry points, on device arrays (target: device int64 class indices).
void softmax(const ArrayView& x, const ArrayView& y, int64_t dim, bool log, cudaStream_t stream);
void softmax_backward(const ArrayView& gy, const ArrayView& y, const ArrayView& gx, int64_t dim, bool log,
                      cudaStream_t stream);
void cross_entropy(const ArrayView& x, const int64_t* target, const ArrayView* probs, const ArrayView* weight,
                   const ArrayView& loss, const ArrayView* grad, const ArrayView* grad_output,
                   const CrossEntropyParams& p, cudaStream_t stream);
// As the CPU's ops/activation.h entry points, on device arrays.
void activation(Act act, const ActParams& p, const ArrayView& x, const ArrayView& y, cudaStream_t stream);
void activation_backward(Act act, const ActParams& p, const ArrayView& dy, const ArrayView& s, const ArrayView& dx,
                         cudaStream_t stream);

// As the CPU's ops/norm.h entry points, on device arrays.
void batch_norm(const ArrayView& x, const ArrayView* weight, const ArrayView* bias, const ArrayView* running_mean,
                const ArrayView* running_var, bool training, double factor, double eps, const ArrayView& y,
                const ArrayView& save_mean, const ArrayView& save_invstd, cudaStream_t stream);
void batch_norm_backward(const ArrayView& gy, const ArrayView& x, const ArrayView* weight, const ArrayView& save_mean,
                         const ArrayView& save_invstd, bool training, const ArrayView* gx, const ArrayView* gw,
                         const ArrayView* gb, cudaStream_t stream);
void layer_norm(const ArrayView& x, int64_t d, const ArrayView* weight, const ArrayView* bias, double eps,
                const ArrayView& y, const ArrayView& mean, const ArrayView& rstd, cudaStream_t stream);
void layer_norm_backward(const ArrayView& gy, const ArrayView& x, int64_t d, const ArrayView* weight,
                         const ArrayView& mean, const ArrayView& rstd, const ArrayView* gx, const ArrayView* gw,
                         const ArrayView* gb, cudaStream_t stream);
// As the CPU's ops/rnn.h entry points, on device arrays.
void lstm_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* bias,
                const ArrayView* h0, const ArrayView* c0, bool reverse, const ArrayView& h_all, const ArrayView& c_all,
                const ArrayView& act, cudaStream_t stream);
void lstm_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                         const ArrayView* c0, bool reverse, const ArrayView& h_all, const ArrayView& c_all,
                         const ArrayView& act, const ArrayView* dh_all, const ArrayView* dh_n, const ArrayView* dc_n,
                         const ArrayView* dx, const ArrayView* dw_ih, const ArrayView* dw_hh, const ArrayView* dbias,
                         const ArrayView* dh0, const ArrayView* dc0, cudaStream_t stream);
void gru_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* b_ih,
               const ArrayView* b_hh, const ArrayView* h0, bool reverse, const ArrayView& h_all, const ArrayView& act,
               cudaStream_t stream);
void gru_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                        bool reverse, const ArrayView& h_all, const ArrayView& act, const ArrayView* dh_all,
                        const ArrayView* dh_n, const ArrayView* dx, const ArrayView* dw_ih, const ArrayView* dw_hh,
                        const ArrayView* db_ih, const ArrayView* db_hh, const ArrayView* dh0, cudaStream_t stream);

}  // namespace cuda
}  // namespace fastnn
