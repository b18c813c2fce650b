// module_cuda.cpp — bindings of the CUDA kernels, built twice:
//   fastnn._C_cuda      by nvcc + the host compiler, arrays in GPU memory, on the caller's stream
//   fastnn._C_cuda_emu  with FASTNN_SIMT: the same kernels on host arrays through the SIMT emulator
//                       (a test module, never a user device)
// `stream` is the integer handle of torch.cuda.current_stream().cuda_stream (0: the legacy default).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bind/common.h"
#include "bind/cross_entropy_args.h"
#include "bind/optim_args.h"
#include "ops/cuda.h"
#include "ops/activation.h"
#include "ops/loss.h"

#ifndef FASTNN_CUDA_MODULE
#error "FASTNN_CUDA_MODULE must name the module (_C_cuda or _C_cuda_emu)"
#endif

namespace py = pybind11;
using fastnn::bind::BoundArray;
using fastnn::bind::optional_array;
using fastnn::bind::view_or_null;
using fastnn::bind::without_gil;

namespace {

cudaStream_t as_stream(uintptr_t handle) { return reinterpret_cast<cudaStream_t>(handle); }

}  // namespace

PYBIND11_MODULE(FASTNN_CUDA_MODULE, m) {
  m.doc() = "fastnn CUDA kernels. Use fastnn.ops / fastnn.functional / fastnn.nn, not this module.";
  fastnn::bind::register_error_translator();
#if defined(FASTNN_SIMT)
  m.attr("emulated") = true;
#else
  m.attr("emulated") = false;
#endif

  m.def("relu", [](py::handle x, py::handle out, uintptr_t stream) {
    const BoundArray xa(x), oa(out);
    without_gil([&] { fastnn::cuda::relu(xa.view(), oa.view(), as_stream(stream)); });
  }, py::arg("x"), py::arg("out"), py::arg("stream") = 0);

  m.def("relu_backward", [](py::handle dy, py::handle y, py::handle out, uintptr_t stream) {
    const BoundArray dya(dy), ya(y), oa(out);
    without_gil([&] { fastnn::cuda::relu_backward(dya.view(), ya.view(), oa.view(), as_stream(stream)); });
  }, py::arg("grad_output"), py::arg("output"), py::arg("out"), py::arg("stream") = 0);

  // act: an activation name (ops/activation.h); a, b: its parameters (cpu/activation.h)
  m.def("activation", [](py::handle x, py::handle out, const std::string& act, double a, double b, uintptr_t stream) {
    const BoundArray xa(x), oa(out);
    const fastnn::Act kind = fastnn::act_from_name(act);
    without_gil([&] { fastnn::cuda::activation(kind, fastnn::ActParams{a, b}, xa.view(), oa.view(), as_stream(stream)); });
  }, py::arg("x"), py::arg("out"), py::arg("act"), py::arg("a"), py::arg("b"), py::arg("stream") = 0);
  m.def("activation_backward", [](py::handle dy, py::handle s, py::handle out, const std::string& act, double a,
                                  double b, uintptr_t stream) {
    const BoundArray dya(dy), sa(s), oa(out);
    const fastnn::Act kind = fastnn::act_from_name(act);
    without_gil([&] {
      fastnn::cuda::activation_backward(kind, fastnn::ActParams{a, b}, dya.view(), sa.view(), oa.view(),
                                        as_stream(stream));
    });
  }, py::arg("grad_output"), py::arg("saved"), py::arg("out"), py::arg("act"), py::arg("a"), py::arg("b"),
     py::arg("stream") = 0);

  // One optimizer step over a param group's tensors (bind/optim_args.h describes the arguments).
  m.def("optimizer_step", [](const std::string& kind, py::handle params, py::handle grads, py::handle s0, py::handle s1,
                             py::handle s2, const std::vector<double>& steps, const std::vector<bool>& first,
                             const py::dict& hyper, uintptr_t stream) {
    const fastnn::bind::OptimArgs a(kind, params, grads, s0, s1, s2, steps, first, hyper);
    without_gil([&] { fastnn::cuda::optimizer_step(a.batch, a.hyper, as_stream(stream)); });
  }, py::arg("kind"), py::arg("params"), py::arg("grads"), py::arg("s0"), py::arg("s1"), py::arg("s2"), py::arg("steps"),
     py::arg("first"), py::arg("hyper"), py::arg("stream") = 0);
  m.def("optimizer_step_flat", [](const std::string& kind, const std::string& dtype, int device_index,
                                  const std::vector<std::vector<uintptr_t>>& ptrs,
                                  const std::vector<std::vector<int64_t>>& sizes, const std::vector<double>& steps,
                                  const std::vector<bool>& first, const py::dict& hyper,
                                  const std::vector<uintptr_t>& step_counters, uintptr_t stream) {
    const fastnn::bind::FlatOptimArgs a(kind, dtype, fastnn::cuda::kArrayDevice, device_index, ptrs, sizes, steps, first, hyper,
                                              step_counters);
    without_gil([&] { fastnn::cuda::optimizer_step(a.batch, a.hyper, as_stream(stream)); });
    a.commit_steps();
  }, py::arg("kind"), py::arg("dtype"), py::arg("device_index"), py::arg("ptrs"), py::arg("sizes"), py::arg("steps"),
     py::arg("first"), py::arg("hyper"), py::arg("step_counters"), py::arg("stream") = 0);

  // mask: the device address of ceil(n / 8) bytes Python allocated (0 when n = 0)
  m.def("dropout", [](py::handle x, py::handle out, uintptr_t mask, double p, uint64_t seed, uintptr_t stream) {
    const BoundArray xa(x), oa(out);
    without_gil([&] {
      fastnn::cuda::dropout(xa.view(), oa.view(), reinterpret_cast<uint8_t*>(mask), p, seed, as_stream(stream));
    });
  }, py::arg("input"), py::arg("out"), py::arg("mask"), py::arg("p"), py::arg("seed"), py::arg("stream") = 0);
  m.def("dropout_backward", [](py::handle gy, py::handle gx, uintptr_t mask, double p, uintptr_t stream) {
    const BoundArray gya(gy), gxa(gx);
    without_gil([&] {
      fastnn::cuda::dropout_backward(gya.view(), reinterpret_cast<const uint8_t*>(mask), gxa.view(), p,
                                     as_stream(stream));
    });
  }, py::arg("grad_output"), py::arg("grad_input"), py::arg("mask"), py::arg("p"), py::arg("stream") = 0);
  // name: a loss (ops/loss.h); a: beta / delta; reduction 0/1/2 = none/mean/sum
  m.def("pointwise_loss", [](py::handle x, py::handle y, py::handle w, py::handle pw, py::handle out,
                             const std::string& name, double a, int reduction, uintptr_t stream) {
    if (reduction < 0 || reduction > 2) fastnn::fail(fastnn::ErrorKind::Value, "loss reduction code ", reduction, " (0, 1 or 2)");
    const BoundArray xa(x), ya(y), oa(out);
    const auto wa = optional_array(w), pwa = optional_array(pw);
    const fastnn::Loss kind = fastnn::loss_from_name(name);
    without_gil([&] {
      fastnn::cuda::pointwise_loss(kind, a, xa.view(), ya.view(), view_or_null(wa), view_or_null(pwa), oa.view(),
                                   fastnn::Reduction(reduction), as_stream(stream));
    });
  }, py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("pos_weight"), py::arg("out"), py::arg("loss"),
     py::arg("a"), py::arg("reduction"), py::arg("stream") = 0);
  m.def("pointwise_loss_backward", [](py::handle x, py::handle y, py::handle w, py::handle pw, py::handle go,
                                      py::handle grad, const std::string& name, double a, int reduction,
                                      uintptr_t stream) {
    if (reduction < 0 || reduction > 2) fastnn::fail(fastnn::ErrorKind::Value, "loss reduction code ", reduction, " (0, 1 or 2)");
    const BoundArray xa(x), ya(y), goa(go), ga(grad);
    const auto wa = optional_array(w), pwa = optional_array(pw);
    const fastnn::Loss kind = fastnn::loss_from_name(name);
    without_gil([&] {
      fastnn::cuda::pointwise_loss_backward(kind, a, xa.view(), ya.view(), view_or_null(wa), view_or_null(pwa),
                                            goa.view(), ga.view(), fastnn::Reduction(reduction), as_stream(stream));
    });
  }, py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("pos_weight"), py::arg("grad_output"),
     py::arg("grad"), py::arg("loss"), py::arg("a"), py::arg("reduction"), py::arg("stream") = 0);

  m.def("softmax", [](py::handle x, py::handle out, int64_t dim, bool log, uintptr_t stream) {
    const BoundArray xa(x), oa(out);
    without_gil([&] { fastnn::cuda::softmax(xa.view(), oa.view(), dim, log, as_stream(stream)); });
  }, py::arg("input"), py::arg("out"), py::arg("dim"), py::arg("log"), py::arg("stream") = 0);
  m.def("softmax_backward", [](py::handle gy, py::handle y, py::handle gx, int64_t dim, bool log, uintptr_t stream) {
    const BoundArray gya(gy), ya(y), gxa(gx);
    without_gil([&] { fastnn::cuda::softmax_backward(gya.view(), ya.view(), gxa.view(), dim, log, as_stream(stream)); });
  }, py::arg("grad_output"), py::arg("output"), py::arg("out"), py::arg("dim"), py::arg("log"), py::arg("stream") = 0);
  // The arguments: bind/cross_entropy_args.h (target: a device address).
  m.def("cross_entropy", [](py::handle x, py::handle weight, py::handle loss, py::handle grad, py::handle grad_output,
                            py::handle probs, uintptr_t target, int64_t ignore_index, double label_smoothing,
                            int reduction, int form, uintptr_t stream) {
    const fastnn::bind::CrossEntropyArgs a(x, weight, loss, grad, grad_output, probs, target, ignore_index,
                                           label_smoothing, reduction, form);
    without_gil([&] {
      fastnn::cuda::cross_entropy(a.x.view(), a.target, view_or_null(a.probs), view_or_null(a.weight), a.loss.view(),
                            view_or_null(a.grad), view_or_null(a.grad_output), a.params, as_stream(stream));
    });
  }, py::arg("input"), py::arg("weight"), py::arg("loss"), py::arg("grad"), py::arg("grad_output"), py::arg("probs"),
     py::arg("target"), py::arg("ignore_index"), py::arg("label_smoothing"), py::arg("reduction"), py::arg("form"),
     py::arg("stream") = 0);

  m.def("matmul", [](py::handle a, py::handle b, py::handle out, py::handle bias_m, py::handle bias_n,
                     bool trans_a, bool trans_b, double alpha, double beta, bool relu, uintptr_t stream) {
    const BoundArray aa(a), ba(b), oa(out);
    const auto bm = optional_array(bias_m), bn = optional_array(bias_n);
    const fastnn::MatmulOptions opt{trans_a, trans_b, alpha, beta, relu};
    without_gil([&] {
      fastnn::cuda::matmul(aa.view(), ba.view(), oa.view(), view_or_null(bm), view_or_null(bn), opt,
                           as_stream(stream));
    });
  }, py::arg("a"), py::arg("b"), py::arg("out"), py::arg("bias_m"), py::arg("bias_n"), py::arg("trans_a"),
     py::arg("trans_b"), py::arg("alpha"), py::arg("beta"), py::arg("relu"), py::arg("stream") = 0);

  // Linear's backward: gx = gy·w, gw = gyᵀ·x, gb = column sums of gy (each output optional).
  m.def("linear_backward", [](py::handle gy, py::handle x, py::handle w, py::handle gx, py::handle gw,
                              py::handle gb, uintptr_t stream) {
    const BoundArray gya(gy), xa(x), wa(w);
    const auto gxa = optional_array(gx), gwa = optional_array(gw), gba = optional_array(gb);
    without_gil([&] {
      fastnn::cuda::linear_backward(gya.view(), xa.view(), wa.view(), view_or_null(gxa), view_or_null(gwa),
                                    view_or_null(gba), as_stream(stream));
    });
  }, py::arg("grad_output"), py::arg("input"), py::arg("weight"), py::arg("grad_input"), py::arg("grad_weight"),
     py::arg("grad_bias"), py::arg("stream") = 0);

  auto pool_params = [](const std::vector<int64_t>& v) {
    if (v.size() != 11) fastnn::fail(fastnn::ErrorKind::Value, "pool2d parameters: 11 expected, got ", v.size());
    return fastnn::Pool2dParams{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8] != 0, v[9] != 0, v[10]};
  };
  m.def("max_pool2d", [pool_params](py::handle x, py::handle out, uintptr_t indices, const std::vector<int64_t>& params,
                                    uintptr_t stream) {
    const BoundArray xa(x), oa(out);
    const auto p = pool_params(params);
    without_gil([&] {
      fastnn::cuda::max_pool2d(xa.view(), oa.view(), reinterpret_cast<int64_t*>(indices), p, as_stream(stream));
    });
  }, py::arg("input"), py::arg("out"), py::arg("indices"), py::arg("params"), py::arg("stream") = 0);
  m.def("max_pool2d_backward", [pool_params](py::handle gy, py::handle x, py::handle gx,
                                             const std::vector<int64_t>& params, uintptr_t stream) {
    const BoundArray gya(gy), xa(x), gxa(gx);
    const auto p = pool_params(params);
    without_gil([&] { fastnn::cuda::max_pool2d_backward(gya.view(), xa.view(), gxa.view(), p, as_stream(stream)); });
  }, py::arg("grad_output"), py::arg("input"), py::arg("grad_input"), py::arg("params"), py::arg("stream") = 0);
  m.def("avg_pool2d", [pool_params](py::handle x, py::handle out, const std::vector<int64_t>& params, uintptr_t stream) {
    const BoundArray xa(x), oa(out);
    const auto p = pool_params(params);
    without_gil([&] { fastnn::cuda::avg_pool2d(xa.view(), oa.view(), p, as_stream(stream)); });
  }, py::arg("input"), py::arg("out"), py::arg("params"), py::arg("stream") = 0);
  m.def("avg_pool2d_backward", [pool_params](py::handle gy, py::handle gx, const std::vector<int64_t>& params,
                                             uintptr_t stream) {
    const BoundArray gya(gy), gxa(gx);
    const auto p = pool_params(params);
    without_gil([&] { fastnn::cuda::avg_pool2d_backward(gya.view(), gxa.view(), p, as_stream(stream)); });
  }, py::arg("grad_output"), py::arg("grad_input"), py::arg("params"), py::arg("stream") = 0);

  auto conv_params = [](const std::vector<int64_t>& v) {
    if (v.size() != 9) fastnn::fail(fastnn::ErrorKind::Value, "conv2d parameters: 9 expected, got ", v.size());
    return fastnn::Conv2dParams{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
  };
  m.def("conv2d", [conv_params](py::handle x, py::handle w, py::handle bias, py::handle out,
                                const std::vector<int64_t>& params, uintptr_t stream) {
    const BoundArray xa(x), wa(w), oa(out);
    const auto ba = optional_array(bias);
    const auto p = conv_params(params);
    without_gil([&] { fastnn::cuda::conv2d(xa.view(), wa.view(), view_or_null(ba), oa.view(), p, as_stream(stream)); });
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("out"), py::arg("params"), py::arg("stream") = 0);
  m.def("conv2d_backward", [conv_params](py::handle gy, py::handle x, py::handle w, py::handle gx, py::handle gw,
                                         py::handle gb, const std::vector<int64_t>& params, uintptr_t stream) {
    const BoundArray gya(gy), xa(x), wa(w);
    const auto gxa = optional_array(gx), gwa = optional_array(gw), gba = optional_array(gb);
    const auto p = conv_params(params);
    without_gil([&] {
      fastnn::cuda::conv2d_backward(gya.view(), xa.view(), wa.view(), view_or_null(gxa), view_or_null(gwa),
                                    view_or_null(gba), p, as_stream(stream));
    });
  }, py::arg("grad_output"), py::arg("input"), py::arg("weight"), py::arg("grad_input"), py::arg("grad_weight"),
     py::arg("grad_bias"), py::arg("params"), py::arg("stream") = 0);

  m.def("sum_rows", [](py::handle x, py::handle out, bool accumulate, uintptr_t stream) {
    const BoundArray xa(x), oa(out);
    without_gil([&] { fastnn::cuda::sum_rows(xa.view(), oa.view(), accumulate, as_stream(stream)); });
  }, py::arg("x"), py::arg("out"), py::arg("accumulate"), py::arg("stream") = 0);

  // Normalization and recurrent layers (ops/norm.h, ops/rnn.h semantics).
  m.def("batch_norm", [](py::handle x, py::handle w, py::handle b, py::handle rm, py::handle rv, py::handle y,
                         py::handle sm, py::handle si, bool training, double factor, double eps,
                         uintptr_t stream) {
    const BoundArray xa(x), ya(y), sma(sm), sia(si);
    const auto wa = optional_array(w), ba = optional_array(b), rma = optional_array(rm), rva = optional_array(rv);
    without_gil([&] {
      fastnn::cuda::batch_norm(xa.view(), view_or_null(wa), view_or_null(ba), view_or_null(rma), view_or_null(rva), training,
                         factor, eps, ya.view(), sma.view(), sia.view(), as_stream(stream));
    });
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("running_mean"), py::arg("running_var"),
     py::arg("out"), py::arg("save_mean"), py::arg("save_invstd"), py::arg("training"), py::arg("factor"),
     py::arg("eps"), py::arg("stream") = 0);
  m.def("batch_norm_backward", [](py::handle gy, py::handle x, py::handle w, py::handle sm, py::handle si,
                                  py::handle gx, py::handle gw, py::handle gb, bool training, uintptr_t stream) {
    const BoundArray gya(gy), xa(x), sma(sm), sia(si);
    const auto wa = optional_array(w), gxa = optional_array(gx), gwa = optional_array(gw), gba = optional_array(gb);
    without_gil([&] {
      fastnn::cuda::batch_norm_backward(gya.view(), xa.view(), view_or_null(wa), sma.view(), sia.view(), training,
                                  view_or_null(gxa), view_or_null(gwa), view_or_null(gba), as_stream(stream));
    });
  }, py::arg("grad_output"), py::arg("input"), py::arg("weight"), py::arg("save_mean"), py::arg("save_invstd"),
     py::arg("grad_input"), py::arg("grad_weight"), py::arg("grad_bias"), py::arg("training"), py::arg("stream") = 0);
  m.def("layer_norm", [](py::handle x, py::handle w, py::handle b, py::handle y, py::handle mean, py::handle rstd,
                         int64_t d, double eps, uintptr_t stream) {
    const BoundArray xa(x), ya(y), ma(mean), ra(rstd);
    const auto wa = optional_array(w), ba = optional_array(b);
    without_gil([&] {
      fastnn::cuda::layer_norm(xa.view(), d, view_or_null(wa), view_or_null(ba), eps, ya.view(), ma.view(), ra.view(), as_stream(stream));
    });
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("out"), py::arg("mean"), py::arg("rstd"),
     py::arg("normalized_numel"), py::arg("eps"), py::arg("stream") = 0);
  m.def("layer_norm_backward", [](py::handle gy, py::handle x, py::handle w, py::handle mean, py::handle rstd,
                                  py::handle gx, py::handle gw, py::handle gb, int64_t d, uintptr_t stream) {
    const BoundArray gya(gy), xa(x), ma(mean), ra(rstd);
    const auto wa = optional_array(w), gxa = optional_array(gx), gwa = optional_array(gw), gba = optional_array(gb);
    without_gil([&] {
      fastnn::cuda::layer_norm_backward(gya.view(), xa.view(), d, view_or_null(wa), ma.view(), ra.view(), view_or_null(gxa),
                                  view_or_null(gwa), view_or_null(gba), as_stream(stream));
    });
  }, py::arg("grad_output"), py::arg("input"), py::arg("weight"), py::arg("mean"), py::arg("rstd"),
     py::arg("grad_input"), py::arg("grad_weight"), py::arg("grad_bias"), py::arg("normalized_numel"),
     py::arg("stream") = 0);
  m.def("lstm_layer", [](py::handle x, py::handle w_ih, py::handle w_hh, py::handle bias, py::handle h0, py::handle c0,
                         py::handle h_all, py::handle c_all, py::handle act, bool reverse, uintptr_t stream) {
    const BoundArray xa(x), wia(w_ih), wha(w_hh), ha(h_all), ca(c_all), aa(act);
    const auto ba = optional_array(bias), h0a = optional_array(h0), c0a = optional_array(c0);
    without_gil([&] {
      fastnn::cuda::lstm_layer(xa.view(), wia.view(), wha.view(), view_or_null(ba), view_or_null(h0a), view_or_null(c0a),
                         reverse, ha.view(), ca.view(), aa.view(), as_stream(stream));
    });
  }, py::arg("input"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("bias"), py::arg("h0"), py::arg("c0"),
     py::arg("h_all"), py::arg("c_all"), py::arg("act"), py::arg("reverse"), py::arg("stream") = 0);
  m.def("lstm_layer_backward", [](py::handle x, py::handle w_ih, py::handle w_hh, py::handle h0, py::handle c0,
                                  py::handle h_all, py::handle c_all, py::handle act, py::handle dh_all, py::handle dh_n,
                                  py::handle dc_n, py::handle dx, py::handle dw_ih, py::handle dw_hh, py::handle dbias,
                                  py::handle dh0, py::handle dc0, bool reverse, uintptr_t stream) {
    const BoundArray xa(x), wia(w_ih), wha(w_hh), ha(h_all), ca(c_all), aa(act);
    const auto h0a = optional_array(h0), c0a = optional_array(c0), dha = optional_array(dh_all),
               dhna = optional_array(dh_n), dcna = optional_array(dc_n), dxa = optional_array(dx),
               dwia = optional_array(dw_ih), dwha = optional_array(dw_hh), dba = optional_array(dbias),
               dh0a = optional_array(dh0), dc0a = optional_array(dc0);
    without_gil([&] {
      fastnn::cuda::lstm_layer_backward(xa.view(), wia.view(), wha.view(), view_or_null(h0a), view_or_null(c0a), reverse,
                                  ha.view(), ca.view(), aa.view(), view_or_null(dha), view_or_null(dhna),
                                  view_or_null(dcna), view_or_null(dxa), view_or_null(dwia), view_or_null(dwha),
                                  view_or_null(dba), view_or_null(dh0a), view_or_null(dc0a), as_stream(stream));
    });
  }, py::arg("input"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("h0"), py::arg("c0"), py::arg("h_all"),
     py::arg("c_all"), py::arg("act"), py::arg("dh_all"), py::arg("dh_n"), py::arg("dc_n"), py::arg("dx"),
     py::arg("dw_ih"), py::arg("dw_hh"), py::arg("dbias"), py::arg("dh0"), py::arg("dc0"), py::arg("reverse"),
     py::arg("stream") = 0);
  m.def("gru_layer", [](py::handle x, py::handle w_ih, py::handle w_hh, py::handle b_ih, py::handle b_hh, py::handle h0,
                        py::handle h_all, py::handle act, bool reverse, uintptr_t stream) {
    const BoundArray xa(x), wia(w_ih), wha(w_hh), ha(h_all), aa(act);
    const auto bia = optional_array(b_ih), bha = optional_array(b_hh), h0a = optional_array(h0);
    without_gil([&] {
      fastnn::cuda::gru_layer(xa.view(), wia.view(), wha.view(), view_or_null(bia), view_or_null(bha), view_or_null(h0a),
                        reverse, ha.view(), aa.view(), as_stream(stream));
    });
  }, py::arg("input"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("bias_ih"), py::arg("bias_hh"),
     py::arg("h0"), py::arg("h_all"), py::arg("act"), py::arg("reverse"), py::arg("stream") = 0);
  m.def("gru_layer_backward", [](py::handle x, py::handle w_ih, py::handle w_hh, py::handle h0, py::handle h_all,
                                 py::handle act, py::handle dh_all, py::handle dh_n, py::handle dx, py::handle dw_ih,
                                 py::handle dw_hh, py::handle db_ih, py::handle db_hh, py::handle dh0, bool reverse,
                                 uintptr_t stream) {
    const BoundArray xa(x), wia(w_ih), wha(w_hh), ha(h_all), aa(act);
    const auto h0a = optional_array(h0), dha = optional_array(dh_all), dhna = optional_array(dh_n),
               dxa = optional_array(dx), dwia = optional_array(dw_ih), dwha = optional_array(dw_hh),
               dbia = optional_array(db_ih), dbha = optional_array(db_hh), dh0a = optional_array(dh0);
    without_gil([&] {
      fastnn::cuda::gru_layer_backward(xa.view(), wia.view(), wha.view(), view_or_null(h0a), reverse, ha.view(), aa.view(),
                                 view_or_null(dha), view_or_null(dhna), view_or_null(dxa), view_or_null(dwia),
                                 view_or_null(dwha), view_or_null(dbia), view_or_null(dbha), view_or_null(dh0a),
                                 as_stream(stream));
    });
  }, py::arg("input"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("h0"), py::arg("h_all"), py::arg("act"),
     py::arg("dh_all"), py::arg("dh_n"), py::arg("dx"), py::arg("dw_ih"), py::arg("dw_hh"), py::arg("db_ih"),
     py::arg("db_hh"), py::arg("dh0"), py::arg("reverse"), py::arg("stream") = 0);

#if defined(FASTNN_SIMT)
  m.def("set_seed", &simt::set_seed, py::arg("seed"), "Seed of the next launch's thread schedule.");
  m.def("last_seed", &simt::last_seed, "Seed of the last launch (report it when a test fails).");
  m.def("device_status", []() -> py::tuple { return py::make_tuple(0, "the SIMT emulator has no device"); });
#else
  // (number of usable devices, "" or why there is none). Never throws: a machine without a driver is a
  // normal answer here, not an error.
  m.def("device_status", []() -> py::tuple {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
      (void)cudaGetLastError();  // clear the sticky error
      return py::make_tuple(0, std::string("cudaGetDeviceCount: ") + cudaGetErrorString(e));
    }
    return py::make_tuple(count, std::string(count ? "" : "no CUDA device"));
  });
  m.attr("cuda_runtime_version") = CUDART_VERSION;
  m.attr("cuda_architectures") = FASTNN_CUDA_ARCHS;  // what nvcc built (CMAKE_CUDA_ARCHITECTURES)
#endif
}
