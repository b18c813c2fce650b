#include "cuda/ops_cuda.h"

#include <type_traits>
#include <vector>

#include "core/error.h"
#include "ops/activation.h"
#include "ops/dropout.h"
#include "cuda/activation.h"
#include "cuda/conv.h"
#include "cuda/dropout.h"
#include "cuda/gemm.h"
#include "cuda/loss.h"
#include "cuda/norm.h"
#include "cuda/optim.h"
#include "cuda/pool.h"
#include "cuda/relu.h"
#include "cuda/rnn.h"
#include "cuda/softmax.h"

namespace fastnn {
namespace cuda {

void relu(const ArrayView& x, const ArrayView& y, cudaStream_t stream) {
  check_elementwise(x, "x", y, "out", "relu", kArrayDevice);
  if (x.dtype == DType::Float32) relu_f32(x.as<const float>(), y.as<float>(), x.numel(), stream);
  else relu_f64(x.as<const double>(), y.as<double>(), x.numel(), stream);
}

void relu_backward(const ArrayView& dy, const ArrayView& y, const ArrayView& dx, cudaStream_t stream) {
  check_elementwise(dy, "grad_output", dx, "out", "relu_backward", kArrayDevice);
  check_elementwise(y, "output", dx, "out", "relu_backward", kArrayDevice);
  const int64_t n = dy.numel();
  if (dy.dtype == DType::Float32)
    relu_backward_f32(dy.as<const float>(), y.as<const float>(), dx.as<float>(), n, stream);
  else
    relu_backward_f64(dy.as<const double>(), y.as<const double>(), dx.as<double>(), n, stream);
}

void activation(Act act, const ActParams& p, const ArrayView& x, const ArrayView& y, cudaStream_t stream) {
  const std::string op_name = act_op_name(act, false);
  const char* op = op_name.c_str();
  if (act == Act::EluResult) fail(ErrorKind::Value, op, ": elu_result is a backward form only");
  check_elementwise(x, "x", y, "out", op, kArrayDevice);
  if (x.dtype == DType::Float32) activation_f32(act, p, x.as<const float>(), y.as<float>(), x.numel(), stream);
  else activation_f64(act, p, x.as<const double>(), y.as<double>(), x.numel(), stream);
}

void activation_backward(Act act, const ActParams& p, const ArrayView& dy, const ArrayView& s, const ArrayView& dx,
                         cudaStream_t stream) {
  const std::string op_name = act_op_name(act, true);
  const char* op = op_name.c_str();
  check_elementwise(dy, "grad_output", dx, "out", op, kArrayDevice);
  check_elementwise(s, "saved", dx, "out", op, kArrayDevice);
  const int64_t n = dy.numel();
  if (dy.dtype == DType::Float32)
    activation_backward_f32(act, p, dy.as<const float>(), s.as<const float>(), dx.as<float>(), n, stream);
  else
    activation_backward_f64(act, p, dy.as<const double>(), s.as<const double>(), dx.as<double>(), n, stream);
}

void softmax(const ArrayView& x, const ArrayView& y, int64_t dim, bool log, cudaStream_t stream) {
  const SoftmaxLayout l = check_softmax(x, y, dim, log, kArrayDevice);
  if (x.dtype == DType::Float32) softmax_forward(l, x.as<const float>(), y.as<float>(), log, stream);
  else softmax_forward(l, x.as<const double>(), y.as<double>(), log, stream);
}

void softmax_backward(const ArrayView& gy, const ArrayView& y, const ArrayView& gx, int64_t dim, bool log,
                      cudaStream_t stream) {
  const SoftmaxLayout l = check_softmax_backward(gy, y, gx, dim, log, kArrayDevice);
  if (gy.dtype == DType::Float32)
    cuda::softmax_backward(l, gy.as<const float>(), y.as<const float>(), gx.as<float>(), log, stream);
  else
    cuda::softmax_backward(l, gy.as<const double>(), y.as<const double>(), gx.as<double>(), log, stream);
}

namespace {
template <class T>
const T* data_or_null(const ArrayView* a) {
  return a ? a->as<const T>() : nullptr;
}
}  // namespace

void dropout(const ArrayView& x, const ArrayView& y, uint8_t* mask, double p, uint64_t seed, cudaStream_t stream) {
  const char* op = "dropout";
  const uint32_t threshold = dropout_threshold(p, op);
  check_elementwise(x, "input", y, "out", op, kArrayDevice);
  const int64_t n = x.numel();
  if (n > 0 && !mask) fail(ErrorKind::Value, op, ": mask is null");
  if (x.dtype == DType::Float32)
    cuda::dropout(x.as<const float>(), y.as<float>(), mask, n, threshold, 1.0 / (1.0 - p), seed, stream);
  else
    cuda::dropout(x.as<const double>(), y.as<double>(), mask, n, threshold, 1.0 / (1.0 - p), seed, stream);
}

void dropout_backward(const ArrayView& dy, const uint8_t* mask, const ArrayView& dx, double p, cudaStream_t stream) {
  const char* op = "dropout_backward";
  dropout_threshold(p, op);
  check_elementwise(dy, "grad_output", dx, "out", op, kArrayDevice);
  const int64_t n = dy.numel();
  if (n > 0 && !mask) fail(ErrorKind::Value, op, ": mask is null");
  if (dy.dtype == DType::Float32) cuda::dropout_backward(dy.as<const float>(), mask, dx.as<float>(), n, 1.0 / (1.0 - p), stream);
  else cuda::dropout_backward(dy.as<const double>(), mask, dx.as<double>(), n, 1.0 / (1.0 - p), stream);
}

void optimizer_step(const OptimBatch& b, const OptimHyper& hp, cudaStream_t stream) {
  const std::vector<OptimStep> steps = check_optimizer_step(b, hp, kArrayDevice);
  std::vector<OptimTensor<float>> t32;
  std::vector<OptimTensor<double>> t64;
  std::vector<OptimStep> h32, h64;
  auto at = [](const std::vector<ArrayView>& v, size_t i, auto* type) {
    using E = std::remove_pointer_t<decltype(type)>;
    return v.empty() ? nullptr : v[i].as<E>();
  };
  for (size_t i = 0; i < b.p.size(); ++i) {
    if (b.p[i].dtype == DType::Float32) {
      float* f = nullptr;
      t32.push_back({b.p[i].as<float>(), b.g[i].as<const float>(), at(b.s0, i, f), at(b.s1, i, f), at(b.s2, i, f),
                     b.p[i].numel()});
      h32.push_back(steps[i]);
    } else {
      double* d = nullptr;
      t64.push_back({b.p[i].as<double>(), b.g[i].as<const double>(), at(b.s0, i, d), at(b.s1, i, d), at(b.s2, i, d),
                     b.p[i].numel()});
      h64.push_back(steps[i]);
    }
  }
  cuda::optimizer_step(t32.data(), h32.data(), int64_t(t32.size()), stream);
  cuda::optimizer_step(t64.data(), h64.data(), int64_t(t64.size()), stream);
}

namespace {
template <class T>
LossOperands<T> loss_operands(double a, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                              const ArrayView* pw) {
  return LossOperands<T>{a, x.as<const T>(), y.as<const T>(), data_or_null<T>(w), data_or_null<T>(pw), x.numel()};
}
}  // namespace

void pointwise_loss(Loss kind, double a, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                    const ArrayView* pw, const ArrayView& out, Reduction r, cudaStream_t stream) {
  check_pointwise_loss(kind, x, y, w, pw, out, r, kArrayDevice);
  if (x.dtype == DType::Float32) cuda::pointwise_loss(kind, loss_operands<float>(a, x, y, w, pw), out.as<float>(), r, stream);
  else cuda::pointwise_loss(kind, loss_operands<double>(a, x, y, w, pw), out.as<double>(), r, stream);
}

void pointwise_loss_backward(Loss kind, double a, const ArrayView& x, const ArrayView& y, const ArrayView* w,
                             const ArrayView* pw, const ArrayView& grad_output, const ArrayView& grad, Reduction r,
                             cudaStream_t stream) {
  check_pointwise_loss_backward(kind, x, y, w, pw, grad_output, grad, r, kArrayDevice);
  if (x.dtype == DType::Float32)
    cuda::pointwise_loss_backward(kind, loss_operands<float>(a, x, y, w, pw), grad_output.as<const float>(),
                                  grad.as<float>(), r, stream);
  else
    cuda::pointwise_loss_backward(kind, loss_operands<double>(a, x, y, w, pw), grad_output.as<const double>(),
                                  grad.as<double>(), r, stream);
}

void cross_entropy(const ArrayView& x, const int64_t* target, const ArrayView* probs, const ArrayView* weight,
                   const ArrayView& loss, const ArrayView* grad, const ArrayView* grad_output,
                   const CrossEntropyParams& p, cudaStream_t stream) {
  check_cross_entropy(x, target, probs, weight, loss, grad, grad_output, p, kArrayDevice);
  if (x.dtype == DType::Float32)
    cuda::cross_entropy(cross_entropy_rows<float>(x, target, probs, weight, loss, grad, grad_output, p),
                        loss.as<float>(), stream);
  else
    cuda::cross_entropy(cross_entropy_rows<double>(x, target, probs, weight, loss, grad, grad_output, p),
                        loss.as<double>(), stream);
}

namespace {

template <class T>
GemmProblem<T> gemm_args(const ArrayView& a, const ArrayView& b, const ArrayView& c, const ArrayView* bias_m,
                      const ArrayView* bias_n, const MatmulOptions& opt, int64_t K) {
  GemmProblem<T> g = make_gemm_problem<T>(a, b, c, bias_m, bias_n, opt, K);
  // A size-1 dimension's stride is arbitrary: call it 1 when the kernel needs one unit stride.
  if (g.a_rs != 1 && g.a_cs != 1) (g.M == 1 ? g.a_rs : g.a_cs) = 1;
  if (g.b_rs != 1 && g.b_cs != 1) (g.N == 1 ? g.b_cs : g.b_rs) = 1;
  return g;
}

bool has_unit_stride(const ArrayView& v) {
  return v.strides[0] == 1 || v.strides[1] == 1 || v.shape[0] <= 1 || v.shape[1] <= 1;
}

}  // namespace

void matmul(const ArrayView& a, const ArrayView& b, const ArrayView& c, const ArrayView* bias_m,
            const ArrayView* bias_n, const MatmulOptions& opt, cudaStream_t stream, const MatmulNames& names) {
  const int64_t K = check_matmul(a, b, c, bias_m, bias_n, opt, kArrayDevice, names);
  if (!has_unit_stride(a) || !has_unit_stride(b))
    fail(ErrorKind::Value, names.op, ": on CUDA, '", names.a, "' and '", names.b,
         "' need a unit stride in one dimension (got strides (", a.strides[0], ", ", a.strides[1], ") and (",
         b.strides[0], ", ", b.strides[1], "))");
  if (c.dtype == DType::Float32) gemm_f32(gemm_args<float>(a, b, c, bias_m, bias_n, opt, K), stream);
  else gemm_f64(gemm_args<double>(a, b, c, bias_m, bias_n, opt, K), stream);
}

void sum_rows(const ArrayView& x, const ArrayView& out, bool accumulate, cudaStream_t stream) {
  check_sum_rows(x, out, kArrayDevice);
  const int64_t M = x.shape[0], N = x.shape[1];
  if (x.dtype == DType::Float32)
    sum_rows_f32(x.as<const float>(), M, N, x.strides[0], x.strides[1], out.as<float>(), accumulate, stream);
  else
    sum_rows_f64(x.as<const double>(), M, N, x.strides[0], x.strides[1], out.as<double>(), accumulate, stream);
}

void linear_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                     const ArrayView* gw, const ArrayView* gb, cudaStream_t stream) {
  check_linear_backward(gy, x, w, gx, gw, gb, kArrayDevice);
  MatmulOptions opt;
  if (gx) matmul(gy, w, *gx, nullptr, nullptr, opt, stream, kLinearGradInputNames);  // (B, O) · (O, I)
  opt.trans_a = true;
  if (gw) matmul(gy, x, *gw, nullptr, nullptr, opt, stream, kLinearGradWeightNames);  // (B, O)ᵀ · (B, I)
  if (gb) sum_rows(gy, *gb, false, stream);
}

void max_pool2d(const ArrayView& x, const ArrayView& y, int64_t* indices, const Pool2dParams& p, cudaStream_t stream) {
  const Pool2dShape s = check_pool2d_forward(x, y, p, kArrayDevice, "max_pool2d");
  if (x.dtype == DType::Float32) max_pool2d_forward(s, p, x.as<const float>(), y.as<float>(), indices, stream);
  else max_pool2d_forward(s, p, x.as<const double>(), y.as<double>(), indices, stream);
}

void max_pool2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& gx, const Pool2dParams& p,
                         cudaStream_t stream) {
  const Pool2dShape s = check_pool2d_backward(gy, x, gx, p, kArrayDevice, "max_pool2d_backward");
  if (gx.data == x.data) fail(ErrorKind::Value, "max_pool2d_backward: 'grad_input' overlaps 'input' in memory");
  if (x.dtype == DType::Float32)
    cuda::max_pool2d_backward(s, p, gy.as<const float>(), x.as<const float>(), gx.as<float>(), stream);
  else
    cuda::max_pool2d_backward(s, p, gy.as<const double>(), x.as<const double>(), gx.as<double>(), stream);
}

void avg_pool2d(const ArrayView& x, const ArrayView& y, const Pool2dParams& p, cudaStream_t stream) {
  const Pool2dShape s = check_pool2d_forward(x, y, p, kArrayDevice, "avg_pool2d");
  if (x.dtype == DType::Float32) avg_pool2d_forward(s, p, x.as<const float>(), y.as<float>(), stream);
  else avg_pool2d_forward(s, p, x.as<const double>(), y.as<double>(), stream);
}

void avg_pool2d_backward(const ArrayView& gy, const ArrayView& gx, const Pool2dParams& p, cudaStream_t stream) {
  const Pool2dShape s = check_pool2d_backward(gy, gx, gx, p, kArrayDevice, "avg_pool2d_backward");
  if (gx.dtype == DType::Float32) cuda::avg_pool2d_backward(s, p, gy.as<const float>(), gx.as<float>(), stream);
  else cuda::avg_pool2d_backward(s, p, gy.as<const double>(), gx.as<double>(), stream);
}

void conv2d(const ArrayView& x, const ArrayView& w, const ArrayView* bias, const ArrayView& y, const Conv2dParams& p,
            cudaStream_t stream) {
  const Conv2dShape s = check_conv2d_forward(x, w, bias, y, p, kArrayDevice);
  if (x.dtype == DType::Float32)
    conv2d_forward(s, p, x.as<const float>(), w.as<const float>(), bias ? bias->as<const float>() : nullptr,
                   y.as<float>(), stream);
  else
    conv2d_forward(s, p, x.as<const double>(), w.as<const double>(), bias ? bias->as<const double>() : nullptr,
                   y.as<double>(), stream);
}

void conv2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                     const ArrayView* gw, const ArrayView* gb, const Conv2dParams& p, cudaStream_t stream) {
  const Conv2dShape s = check_conv2d_backward(gy, x, w, gx, gw, gb, p, kArrayDevice);
  if (x.dtype == DType::Float32)
    cuda::conv2d_backward(s, p, gy.as<const float>(), x.as<const float>(), w.as<const float>(),
                          gx ? gx->as<float>() : nullptr, gw ? gw->as<float>() : nullptr, gb ? gb->as<float>() : nullptr,
                          stream);
  else
    cuda::conv2d_backward(s, p, gy.as<const double>(), x.as<const double>(), w.as<const double>(),
                          gx ? gx->as<double>() : nullptr, gw ? gw->as<double>() : nullptr,
                          gb ? gb->as<double>() : nullptr, stream);
}

namespace {
template <class T>
T* mut_or_null(const ArrayView* a) {
  return a ? a->as<T>() : nullptr;
}
}  // namespace

void batch_norm(const ArrayView& x, const ArrayView* weight, const ArrayView* bias, const ArrayView* running_mean,
                const ArrayView* running_var, bool training, double factor, double eps, const ArrayView& y,
                const ArrayView& save_mean, const ArrayView& save_invstd, cudaStream_t stream) {
  const BnShape s = check_batch_norm(x, weight, bias, running_mean, running_var, training, eps, y, save_mean,
                                     save_invstd, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::batch_norm(BatchNormArgs<T>{s, x.as<const T>(), data_or_null<T>(weight), data_or_null<T>(bias),
                                      mut_or_null<T>(running_mean), mut_or_null<T>(running_var), training, factor, eps,
                                      y.as<T>(), save_mean.as<T>(), save_invstd.as<T>()},
                     stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void batch_norm_backward(const ArrayView& gy, const ArrayView& x, const ArrayView* weight, const ArrayView& save_mean,
                         const ArrayView& save_invstd, bool training, const ArrayView* gx, const ArrayView* gw,
                         const ArrayView* gb, cudaStream_t stream) {
  const BnShape s = check_batch_norm_backward(gy, x, weight, save_mean, save_invstd, gx, gw, gb, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::batch_norm_backward(BatchNormGradArgs<T>{s, gy.as<const T>(), x.as<const T>(), data_or_null<T>(weight),
                                                   save_mean.as<const T>(), save_invstd.as<const T>(), training,
                                                   mut_or_null<T>(gx), mut_or_null<T>(gw), mut_or_null<T>(gb)},
                              stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void layer_norm(const ArrayView& x, int64_t d, const ArrayView* weight, const ArrayView* bias, double eps,
                const ArrayView& y, const ArrayView& mean, const ArrayView& rstd, cudaStream_t stream) {
  const int64_t M = check_layer_norm(x, d, weight, bias, eps, y, mean, rstd, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::layer_norm(x.as<const T>(), M, d, data_or_null<T>(weight), data_or_null<T>(bias), eps, y.as<T>(),
                     mean.as<T>(), rstd.as<T>(), stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void layer_norm_backward(const ArrayView& gy, const ArrayView& x, int64_t d, const ArrayView* weight,
                         const ArrayView& mean, const ArrayView& rstd, const ArrayView* gx, const ArrayView* gw,
                         const ArrayView* gb, cudaStream_t stream) {
  const int64_t M = check_layer_norm_backward(gy, x, d, weight, mean, rstd, gx, gw, gb, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::layer_norm_backward(gy.as<const T>(), x.as<const T>(), M, d, data_or_null<T>(weight), mean.as<const T>(),
                              rstd.as<const T>(), mut_or_null<T>(gx), mut_or_null<T>(gw), mut_or_null<T>(gb), stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void lstm_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* bias,
                const ArrayView* h0, const ArrayView* c0, bool reverse, const ArrayView& h_all, const ArrayView& c_all,
                const ArrayView& act, cudaStream_t stream) {
  const RnnShape s = check_lstm_layer(x, w_ih, w_hh, bias, h0, c0, h_all, c_all, act, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::lstm_layer(RnnLayerArgs<T>{s, reverse, x.as<const T>(), w_ih.as<const T>(), w_hh.as<const T>(),
                                     data_or_null<T>(bias), nullptr, nullptr, data_or_null<T>(h0), data_or_null<T>(c0),
                                     h_all.as<T>(), c_all.as<T>(), act.as<T>()},
                     stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void lstm_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                         const ArrayView* c0, bool reverse, const ArrayView& h_all, const ArrayView& c_all,
                         const ArrayView& act, const ArrayView* dh_all, const ArrayView* dh_n, const ArrayView* dc_n,
                         const ArrayView* dx, const ArrayView* dw_ih, const ArrayView* dw_hh, const ArrayView* dbias,
                         const ArrayView* dh0, const ArrayView* dc0, cudaStream_t stream) {
  const RnnShape s = check_lstm_layer_backward(x, w_ih, w_hh, h0, c0, h_all, c_all, act, dh_all, dh_n, dc_n, dx, dw_ih,
                                               dw_hh, dbias, dh0, dc0, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::lstm_layer_backward(
        RnnLayerGradArgs<T>{s, reverse, x.as<const T>(), w_ih.as<const T>(), w_hh.as<const T>(), data_or_null<T>(h0),
                            data_or_null<T>(c0), h_all.as<const T>(), c_all.as<const T>(), act.as<const T>(),
                            data_or_null<T>(dh_all), data_or_null<T>(dh_n), data_or_null<T>(dc_n), mut_or_null<T>(dx),
                            mut_or_null<T>(dw_ih), mut_or_null<T>(dw_hh), mut_or_null<T>(dbias), nullptr,
                            mut_or_null<T>(dh0), mut_or_null<T>(dc0)},
        stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void gru_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* b_ih,
               const ArrayView* b_hh, const ArrayView* h0, bool reverse, const ArrayView& h_all, const ArrayView& act,
               cudaStream_t stream) {
  const RnnShape s = check_gru_layer(x, w_ih, w_hh, b_ih, b_hh, h0, h_all, act, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::gru_layer(RnnLayerArgs<T>{s, reverse, x.as<const T>(), w_ih.as<const T>(), w_hh.as<const T>(), nullptr,
                                    data_or_null<T>(b_ih), data_or_null<T>(b_hh), data_or_null<T>(h0), nullptr,
                                    h_all.as<T>(), nullptr, act.as<T>()},
                    stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void gru_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                        bool reverse, const ArrayView& h_all, const ArrayView& act, const ArrayView* dh_all,
                        const ArrayView* dh_n, const ArrayView* dx, const ArrayView* dw_ih, const ArrayView* dw_hh,
                        const ArrayView* db_ih, const ArrayView* db_hh, const ArrayView* dh0, cudaStream_t stream) {
  const RnnShape s = check_gru_layer_backward(x, w_ih, w_hh, h0, h_all, act, dh_all, dh_n, dx, dw_ih, dw_hh, db_ih,
                                              db_hh, dh0, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::gru_layer_backward(
        RnnLayerGradArgs<T>{s, reverse, x.as<const T>(), w_ih.as<const T>(), w_hh.as<const T>(), data_or_null<T>(h0),
                            nullptr, h_all.as<const T>(), nullptr, act.as<const T>(), data_or_null<T>(dh_all),
                            data_or_null<T>(dh_n), nullptr, mut_or_null<T>(dx), mut_or_null<T>(dw_ih),
                            mut_or_null<T>(dw_hh), mut_or_null<T>(db_ih), mut_or_null<T>(db_hh), mut_or_null<T>(dh0),
                            nullptr},
        stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

}  // namespace cuda
}  // namespace fastnn
