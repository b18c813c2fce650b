// module.cpp — fastnn._C: the CPU kernels' bindings. Only csrc/bind/ includes pybind11.
// Array arguments arrive as numpy arrays or torch descriptors (bind/common.h). Python has already
// validated them for the user-facing message; the core checks again, because it is also used without
// Python. Kernels run with the GIL released.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "bind/common.h"
#include "bind/cross_entropy_args.h"
#include "bind/dlpack_out.h"
#include "bind/optim_args.h"
#include "core/array_view.h"
#include "core/cpu_features.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "ops/activation.h"
#include "ops/ceilings.h"
#include "ops/conv.h"
#include "ops/dropout.h"
#include "ops/gemm.h"
#include "ops/kernels.h"
#include "ops/loss.h"
#include "ops/norm.h"
#include "ops/pool.h"
#include "ops/relu.h"
#include "ops/rnn.h"
#include "ops/softmax.h"

namespace py = pybind11;
using fastnn::bind::BoundArray;
using fastnn::bind::optional_array;
using fastnn::bind::view_or_null;
using fastnn::bind::without_gil;

PYBIND11_MODULE(_C, m) {
  m.doc() = "fastnn native kernels (CPU). Use fastnn.ops / fastnn.functional / fastnn.nn, not this module.";

  fastnn::bind::register_error_translator();

  m.def("relu", [](py::handle x, py::handle out, const std::string& kernel) {
    const BoundArray xa(x), oa(out);
    without_gil([&] { fastnn::relu(xa.view(), oa.view(), kernel); });
  }, py::arg("x"), py::arg("out"), py::arg("kernel") = "");

  m.def("relu_backward", [](py::handle dy, py::handle y, py::handle out, const std::string& kernel) {
    const BoundArray dya(dy), ya(y), oa(out);
    without_gil([&] { fastnn::relu_backward(dya.view(), ya.view(), oa.view(), kernel); });
  }, py::arg("grad_output"), py::arg("output"), py::arg("out"), py::arg("kernel") = "");

  m.def("matmul", [](py::handle a, py::handle b, py::handle out, py::handle bias_m, py::handle bias_n,
                     bool trans_a, bool trans_b, double alpha, double beta, bool relu, const std::string& kernel) {
    const BoundArray aa(a), ba(b), oa(out);
    const auto bm = optional_array(bias_m), bn = optional_array(bias_n);
    const fastnn::MatmulOptions opt{trans_a, trans_b, alpha, beta, relu};
    without_gil([&] {
      fastnn::matmul(aa.view(), ba.view(), oa.view(), view_or_null(bm), view_or_null(bn), opt, kernel);
    });
  }, py::arg("a"), py::arg("b"), py::arg("out"), py::arg("bias_m"), py::arg("bias_n"), py::arg("trans_a"),
     py::arg("trans_b"), py::arg("alpha"), py::arg("beta"), py::arg("relu"), py::arg("kernel") = "");

  m.def("linear_backward", [](py::handle gy, py::handle x, py::handle w, py::handle gx, py::handle gw,
                              py::handle gb, const std::string& kernel) {
    const BoundArray gya(gy), xa(x), wa(w);
    const auto gxa = optional_array(gx), gwa = optional_array(gw), gba = optional_array(gb);
    without_gil([&] {
      fastnn::linear_backward(gya.view(), xa.view(), wa.view(), view_or_null(gxa), view_or_null(gwa),
                              view_or_null(gba), kernel);
    });
  }, py::arg("grad_output"), py::arg("input"), py::arg("weight"), py::arg("grad_input"), py::arg("grad_weight"),
     py::arg("grad_bias"), py::arg("kernel") = "");

  // params: (stride_h, stride_w, pad_top, pad_bottom, pad_left, pad_right, dilation_h, dilation_w, groups)
  auto conv_params = [](const std::vector<int64_t>& v) {
    if (v.size() != 9) fastnn::fail(fastnn::ErrorKind::Value, "conv2d parameters: 9 expected, got ", v.size());
    return fastnn::Conv2dParams{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
  };
  m.def("conv2d", [conv_params](py::handle x, py::handle w, py::handle bias, py::handle out,
                                const std::vector<int64_t>& params, const std::string& kernel) {
    const BoundArray xa(x), wa(w), oa(out);
    const auto ba = optional_array(bias);
    const fastnn::Conv2dParams p = conv_params(params);
    without_gil([&] { fastnn::conv2d(xa.view(), wa.view(), view_or_null(ba), oa.view(), p, kernel); });
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("out"), py::arg("params"), py::arg("kernel") = "");
  m.def("conv2d_backward", [conv_params](py::handle gy, py::handle x, py::handle w, py::handle gx, py::handle gw,
                                         py::handle gb, const std::vector<int64_t>& params, const std::string& kernel) {
    const BoundArray gya(gy), xa(x), wa(w);
    const auto gxa = optional_array(gx), gwa = optional_array(gw), gba = optional_array(gb);
    const fastnn::Conv2dParams p = conv_params(params);
    without_gil([&] {
      fastnn::conv2d_backward(gya.view(), xa.view(), wa.view(), view_or_null(gxa), view_or_null(gwa),
                              view_or_null(gba), p, kernel);
    });
  }, py::arg("grad_output"), py::arg("input"), py::arg("weight"), py::arg("grad_input"), py::arg("grad_weight"),
     py::arg("grad_bias"), py::arg("params"), py::arg("kernel") = "");
  m.def("conv2d_output_size", [conv_params](int64_t H, int64_t W, int64_t KH, int64_t KW,
                                            const std::vector<int64_t>& params) {
    int64_t OH = 0, OW = 0;
    fastnn::conv2d_output_size(H, W, KH, KW, conv_params(params), OH, OW, "conv2d");
    return py::make_tuple(OH, OW);
  });

  // Outputs from the buffer cache (core/buffer_cache.h): a DLPack capsule for torch.from_dlpack.
  m.def("cached_empty", [](const std::vector<int64_t>& shape, const std::string& dtype) {
    return fastnn::bind::cached_empty_capsule(shape, fastnn::dtype_from_name(dtype));
  }, py::arg("shape"), py::arg("dtype"));
  m.def("output_cache_info", []() {
    const fastnn::BufferCacheInfo i = fastnn::buffer_cache_info();
    py::dict d;
    d["limit"] = i.limit, d["cached"] = i.cached, d["live"] = i.live, d["hits"] = i.hits, d["misses"] = i.misses;
    return d;
  });
  m.def("set_output_cache_limit", &fastnn::set_buffer_cache_limit, py::arg("bytes"));
  m.def("empty_output_cache", &fastnn::empty_buffer_cache);

  // act: an activation name (ops/activation.h); a, b: its parameters (cpu/activation.h)
  m.def("activation", [](py::handle x, py::handle out, const std::string& act, double a, double b,
                         const std::string& kernel) {
    const BoundArray xa(x), oa(out);
    const fastnn::Act kind = fastnn::act_from_name(act);
    without_gil([&] { fastnn::activation(kind, fastnn::ActParams{a, b}, xa.view(), oa.view(), kernel); });
  }, py::arg("x"), py::arg("out"), py::arg("act"), py::arg("a"), py::arg("b"), py::arg("kernel") = "");
  m.def("activation_backward", [](py::handle dy, py::handle s, py::handle out, const std::string& act, double a,
                                  double b, const std::string& kernel) {
    const BoundArray dya(dy), sa(s), oa(out);
    const fastnn::Act kind = fastnn::act_from_name(act);
    without_gil([&] {
      fastnn::activation_backward(kind, fastnn::ActParams{a, b}, dya.view(), sa.view(), oa.view(), kernel);
    });
  }, py::arg("grad_output"), py::arg("saved"), py::arg("out"), py::arg("act"), py::arg("a"), py::arg("b"),
     py::arg("kernel") = "");
  // name: a loss (ops/loss.h); a: beta / delta; reduction 0/1/2 = none/mean/sum
  // Array arguments first (fastnn/ops/_interop.call's convention), then the scalars.
  m.def("batch_norm", [](py::handle x, py::handle w, py::handle b, py::handle rm, py::handle rv, py::handle y,
                         py::handle sm, py::handle si, bool training, double factor, double eps,
                         const std::string& kernel) {
    const BoundArray xa(x), ya(y), sma(sm), sia(si);
    const auto wa = optional_array(w), ba = optional_array(b), rma = optional_array(rm), rva = optional_array(rv);
    without_gil([&] {
      fastnn::batch_norm(xa.view(), view_or_null(wa), view_or_null(ba), view_or_null(rma), view_or_null(rva), training,
                         factor, eps, ya.view(), sma.view(), sia.view(), kernel);
    });
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("running_mean"), py::arg("running_var"),
     py::arg("out"), py::arg("save_mean"), py::arg("save_invstd"), py::arg("training"), py::arg("factor"),
     py::arg("eps"), py::arg("kernel") = "");
  m.def("batch_norm_backward", [](py::handle gy, py::handle x, py::handle w, py::handle sm, py::handle si,
                                  py::handle gx, py::handle gw, py::handle gb, bool training, const std::string& kernel) {
    const BoundArray gya(gy), xa(x), sma(sm), sia(si);
    const auto wa = optional_array(w), gxa = optional_array(gx), gwa = optional_array(gw), gba = optional_array(gb);
    without_gil([&] {
      fastnn::batch_norm_backward(gya.view(), xa.view(), view_or_null(wa), sma.view(), sia.view(), training,
                                  view_or_null(gxa), view_or_null(gwa), view_or_null(gba), kernel);
    });
  }, py::arg("grad_output"), py::arg("input"), py::arg("weight"), py::arg("save_mean"), py::arg("save_invstd"),
     py::arg("grad_input"), py::arg("grad_weight"), py::arg("grad_bias"), py::arg("training"), py::arg("kernel") = "");
  m.def("layer_norm", [](py::handle x, py::handle w, py::handle b, py::handle y, py::handle mean, py::handle rstd,
                         int64_t d, double eps, const std::string& kernel) {
    const BoundArray xa(x), ya(y), ma(mean), ra(rstd);
    const auto wa = optional_array(w), ba = optional_array(b);
    without_gil([&] {
      fastnn::layer_norm(xa.view(), d, view_or_null(wa), view_or_null(ba), eps, ya.view(), ma.view(), ra.view(), kernel);
    });
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("out"), py::arg("mean"), py::arg("rstd"),
     py::arg("normalized_numel"), py::arg("eps"), py::arg("kernel") = "");
  m.def("layer_norm_backward", [](py::handle gy, py::handle x, py::handle w, py::handle mean, py::handle rstd,
                                  py::handle gx, py::handle gw, py::handle gb, int64_t d, const std::string& kernel) {
    const BoundArray gya(gy), xa(x), ma(mean), ra(rstd);
    const auto wa = optional_array(w), gxa = optional_array(gx), gwa = optional_array(gw), gba = optional_array(gb);
    without_gil([&] {
      fastnn::layer_norm_backward(gya.view(), xa.view(), d, view_or_null(wa), ma.view(), ra.view(), view_or_null(gxa),
                                  view_or_null(gwa), view_or_null(gba), kernel);
    });
  }, py::arg("grad_output"), py::arg("input"), py::arg("weight"), py::arg("mean"), py::arg("rstd"),
     py::arg("grad_input"), py::arg("grad_weight"), py::arg("grad_bias"), py::arg("normalized_numel"),
     py::arg("kernel") = "");
  m.def("lstm_layer", [](py::handle x, py::handle w_ih, py::handle w_hh, py::handle bias, py::handle h0, py::handle c0,
                         py::handle h_all, py::handle c_all, py::handle act, bool reverse, const std::string& kernel) {
    const BoundArray xa(x), wia(w_ih), wha(w_hh), ha(h_all), ca(c_all), aa(act);
    const auto ba = optional_array(bias), h0a = optional_array(h0), c0a = optional_array(c0);
    without_gil([&] {
      fastnn::lstm_layer(xa.view(), wia.view(), wha.view(), view_or_null(ba), view_or_null(h0a), view_or_null(c0a),
                         reverse, ha.view(), ca.view(), aa.view(), kernel);
    });
  }, py::arg("input"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("bias"), py::arg("h0"), py::arg("c0"),
     py::arg("h_all"), py::arg("c_all"), py::arg("act"), py::arg("reverse"), py::arg("kernel") = "");
  m.def("lstm_layer_backward", [](py::handle x, py::handle w_ih, py::handle w_hh, py::handle h0, py::handle c0,
                                  py::handle h_all, py::handle c_all, py::handle act, py::handle dh_all, py::handle dh_n,
                                  py::handle dc_n, py::handle dx, py::handle dw_ih, py::handle dw_hh, py::handle dbias,
                                  py::handle dh0, py::handle dc0, bool reverse, const std::string& kernel) {
    const BoundArray xa(x), wia(w_ih), wha(w_hh), ha(h_all), ca(c_all), aa(act);
    const auto h0a = optional_array(h0), c0a = optional_array(c0), dha = optional_array(dh_all),
               dhna = optional_array(dh_n), dcna = optional_array(dc_n), dxa = optional_array(dx),
               dwia = optional_array(dw_ih), dwha = optional_array(dw_hh), dba = optional_array(dbias),
               dh0a = optional_array(dh0), dc0a = optional_array(dc0);
    without_gil([&] {
      fastnn::lstm_layer_backward(xa.view(), wia.view(), wha.view(), view_or_null(h0a), view_or_null(c0a), reverse,
                                  ha.view(), ca.view(), aa.view(), view_or_null(dha), view_or_null(dhna),
                                  view_or_null(dcna), view_or_null(dxa), view_or_null(dwia), view_or_null(dwha),
                                  view_or_null(dba), view_or_null(dh0a), view_or_null(dc0a), kernel);
    });
  }, py::arg("input"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("h0"), py::arg("c0"), py::arg("h_all"),
     py::arg("c_all"), py::arg("act"), py::arg("dh_all"), py::arg("dh_n"), py::arg("dc_n"), py::arg("dx"),
     py::arg("dw_ih"), py::arg("dw_hh"), py::arg("dbias"), py::arg("dh0"), py::arg("dc0"), py::arg("reverse"),
     py::arg("kernel") = "");
  m.def("gru_layer", [](py::handle x, py::handle w_ih, py::handle w_hh, py::handle b_ih, py::handle b_hh, py::handle h0,
                        py::handle h_all, py::handle act, bool reverse, const std::string& kernel) {
    const BoundArray xa(x), wia(w_ih), wha(w_hh), ha(h_all), aa(act);
    const auto bia = optional_array(b_ih), bha = optional_array(b_hh), h0a = optional_array(h0);
    without_gil([&] {
      fastnn::gru_layer(xa.view(), wia.view(), wha.view(), view_or_null(bia), view_or_null(bha), view_or_null(h0a),
                        reverse, ha.view(), aa.view(), kernel);
    });
  }, py::arg("input"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("bias_ih"), py::arg("bias_hh"),
     py::arg("h0"), py::arg("h_all"), py::arg("act"), py::arg("reverse"), py::arg("kernel") = "");
  m.def("gru_layer_backward", [](py::handle x, py::handle w_ih, py::handle w_hh, py::handle h0, py::handle h_all,
                                 py::handle act, py::handle dh_all, py::handle dh_n, py::handle dx, py::handle dw_ih,
                                 py::handle dw_hh, py::handle db_ih, py::handle db_hh, py::handle dh0, bool reverse,
                                 const std::string& kernel) {
    const BoundArray xa(x), wia(w_ih), wha(w_hh), ha(h_all), aa(act);
    const auto h0a = optional_array(h0), dha = optional_array(dh_all), dhna = optional_array(dh_n),
               dxa = optional_array(dx), dwia = optional_array(dw_ih), dwha = optional_array(dw_hh),
               dbia = optional_array(db_ih), dbha = optional_array(db_hh), dh0a = optional_array(dh0);
    without_gil([&] {
      fastnn::gru_layer_backward(xa.view(), wia.view(), wha.view(), view_or_null(h0a), reverse, ha.view(), aa.view(),
                                 view_or_null(dha), view_or_null(dhna), view_or_null(dxa), view_or_null(dwia),
                                 view_or_null(dwha), view_or_null(dbia), view_or_null(dbha), view_or_null(dh0a),
                                 kernel);
    });
  }, py::arg("input"), py::arg("weight_ih"), py::arg("weight_hh"), py::arg("h0"), py::arg("h_all"), py::arg("act"),
     py::arg("dh_all"), py::arg("dh_n"), py::arg("dx"), py::arg("dw_ih"), py::arg("dw_hh"), py::arg("db_ih"),
     py::arg("db_hh"), py::arg("dh0"), py::arg("reverse"), py::arg("kernel") = "");
  m.def("pointwise_loss", [](py::handle x, py::handle y, py::handle w, py::handle pw, py::handle out,
                             const std::string& name, double a, int reduction, const std::string& kernel) {
    if (reduction < 0 || reduction > 2) fastnn::fail(fastnn::ErrorKind::Value, "loss reduction code ", reduction, " (0, 1 or 2)");
    const BoundArray xa(x), ya(y), oa(out);
    const auto wa = optional_array(w), pwa = optional_array(pw);
    const fastnn::Loss kind = fastnn::loss_from_name(name);
    without_gil([&] {
      fastnn::pointwise_loss(kind, a, xa.view(), ya.view(), view_or_null(wa), view_or_null(pwa), oa.view(),
                             fastnn::Reduction(reduction), kernel);
    });
  }, py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("pos_weight"), py::arg("out"), py::arg("loss"),
     py::arg("a"), py::arg("reduction"), py::arg("kernel") = "");
  m.def("pointwise_loss_backward", [](py::handle x, py::handle y, py::handle w, py::handle pw, py::handle go,
                                      py::handle grad, const std::string& name, double a, int reduction,
                                      const std::string& kernel) {
    if (reduction < 0 || reduction > 2) fastnn::fail(fastnn::ErrorKind::Value, "loss reduction code ", reduction, " (0, 1 or 2)");
    const BoundArray xa(x), ya(y), goa(go), ga(grad);
    const auto wa = optional_array(w), pwa = optional_array(pw);
    const fastnn::Loss kind = fastnn::loss_from_name(name);
    without_gil([&] {
      fastnn::pointwise_loss_backward(kind, a, xa.view(), ya.view(), view_or_null(wa), view_or_null(pwa), goa.view(),
                                      ga.view(), fastnn::Reduction(reduction), kernel);
    });
  }, py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("pos_weight"), py::arg("grad_output"),
     py::arg("grad"), py::arg("loss"), py::arg("a"), py::arg("reduction"), py::arg("kernel") = "");
  // mask: the address of ceil(n / 8) bytes Python allocated (0 when n = 0)
  m.def("dropout", [](py::handle x, py::handle out, uintptr_t mask, double p, uint64_t seed, const std::string& kernel) {
    if (!kernel.empty()) fastnn::fail(fastnn::ErrorKind::Value, "dropout: no kernel variants to force (kernel='", kernel, "')");
    const BoundArray xa(x), oa(out);
    without_gil([&] { fastnn::dropout(xa.view(), oa.view(), reinterpret_cast<uint8_t*>(mask), p, seed); });
  }, py::arg("input"), py::arg("out"), py::arg("mask"), py::arg("p"), py::arg("seed"), py::arg("kernel") = "");
  m.def("dropout_backward", [](py::handle gy, py::handle gx, uintptr_t mask, double p, const std::string& kernel) {
    if (!kernel.empty())
      fastnn::fail(fastnn::ErrorKind::Value, "dropout_backward: no kernel variants to force (kernel='", kernel, "')");
    const BoundArray gya(gy), gxa(gx);
    without_gil([&] { fastnn::dropout_backward(gya.view(), reinterpret_cast<const uint8_t*>(mask), gxa.view(), p); });
  }, py::arg("grad_output"), py::arg("grad_input"), py::arg("mask"), py::arg("p"), py::arg("kernel") = "");
  m.def("softmax", [](py::handle x, py::handle out, int64_t dim, bool log, const std::string& kernel) {
    const BoundArray xa(x), oa(out);
    without_gil([&] { fastnn::softmax(xa.view(), oa.view(), dim, log, kernel); });
  }, py::arg("input"), py::arg("out"), py::arg("dim"), py::arg("log"), py::arg("kernel") = "");
  m.def("softmax_backward", [](py::handle gy, py::handle y, py::handle gx, int64_t dim, bool log,
                               const std::string& kernel) {
    const BoundArray gya(gy), ya(y), gxa(gx);
    without_gil([&] { fastnn::softmax_backward(gya.view(), ya.view(), gxa.view(), dim, log, kernel); });
  }, py::arg("grad_output"), py::arg("output"), py::arg("out"), py::arg("dim"), py::arg("log"), py::arg("kernel") = "");
  // The vectorized exp of a softmax_f32 variant on a float32 buffer (tests measure its ulp error).
  m.def("exp_f32", [](py::handle x, py::handle out, const std::string& kernel) {
    const BoundArray xa(x), oa(out);
    without_gil([&] { fastnn::exp_f32(xa.view(), oa.view(), kernel); });
  }, py::arg("x"), py::arg("out"), py::arg("kernel") = "");
  // The arguments: bind/cross_entropy_args.h (target: class indices Python checked).
  m.def("cross_entropy", [](py::handle x, py::handle weight, py::handle loss, py::handle grad, py::handle grad_output,
                            py::handle probs, uintptr_t target, int64_t ignore_index, double label_smoothing,
                            int reduction, int form, const std::string& kernel) {
    const fastnn::bind::CrossEntropyArgs a(x, weight, loss, grad, grad_output, probs, target, ignore_index,
                                           label_smoothing, reduction, form);
    without_gil([&] {
      fastnn::cross_entropy(a.x.view(), a.target, view_or_null(a.probs), view_or_null(a.weight), a.loss.view(),
                            view_or_null(a.grad), view_or_null(a.grad_output), a.params, kernel);
    });
  }, py::arg("input"), py::arg("weight"), py::arg("loss"), py::arg("grad"), py::arg("grad_output"), py::arg("probs"),
     py::arg("target"), py::arg("ignore_index"), py::arg("label_smoothing"), py::arg("reduction"), py::arg("form"),
     py::arg("kernel") = "");

  // One optimizer step over a param group's tensors (bind/optim_args.h describes the arguments).
  m.def("optimizer_step", [](const std::string& kind, py::handle params, py::handle grads, py::handle s0, py::handle s1,
                             py::handle s2, const std::vector<double>& steps, const std::vector<bool>& first,
                             const py::dict& hyper, const std::string& kernel) {
    const fastnn::bind::OptimArgs a(kind, params, grads, s0, s1, s2, steps, first, hyper);
    without_gil([&] { fastnn::optimizer_step(a.batch, a.hyper, kernel); });
  }, py::arg("kind"), py::arg("params"), py::arg("grads"), py::arg("s0"), py::arg("s1"), py::arg("s2"), py::arg("steps"),
     py::arg("first"), py::arg("hyper"), py::arg("kernel") = "");
  m.def("optimizer_step_flat", [](const std::string& kind, const std::string& dtype, int device_index,
                                  const std::vector<std::vector<uintptr_t>>& ptrs,
                                  const std::vector<std::vector<int64_t>>& sizes, const std::vector<double>& steps,
                                  const std::vector<bool>& first, const py::dict& hyper,
                                  const std::vector<uintptr_t>& step_counters, const std::string& kernel) {
    const fastnn::bind::FlatOptimArgs a(kind, dtype, fastnn::DeviceType::CPU, device_index, ptrs, sizes, steps, first, hyper,
                                              step_counters);
    without_gil([&] { fastnn::optimizer_step(a.batch, a.hyper, kernel); });
    a.commit_steps();
  }, py::arg("kind"), py::arg("dtype"), py::arg("device_index"), py::arg("ptrs"), py::arg("sizes"), py::arg("steps"),
     py::arg("first"), py::arg("hyper"), py::arg("step_counters"), py::arg("kernel") = "");

  // params: (kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, ceil_mode,
  //          count_include_pad, divisor_override)
  auto pool_params = [](const std::vector<int64_t>& v) {
    if (v.size() != 11) fastnn::fail(fastnn::ErrorKind::Value, "pool2d parameters: 11 expected, got ", v.size());
    return fastnn::Pool2dParams{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8] != 0, v[9] != 0, v[10]};
  };
  // indices: the address of an int64 array of out's shape that Python allocated (0: none)
  m.def("max_pool2d", [pool_params](py::handle x, py::handle out, uintptr_t indices, const std::vector<int64_t>& params,
                                    const std::string& kernel) {
    if (!kernel.empty())
      fastnn::fail(fastnn::ErrorKind::Value, "max_pool2d: no kernel variants to force (kernel='", kernel, "')");
    const BoundArray xa(x), oa(out);
    const auto p = pool_params(params);
    without_gil([&] { fastnn::max_pool2d(xa.view(), oa.view(), reinterpret_cast<int64_t*>(indices), p); });
  }, py::arg("input"), py::arg("out"), py::arg("indices"), py::arg("params"), py::arg("kernel") = "");
  m.def("max_pool2d_backward", [pool_params](py::handle gy, py::handle x, py::handle gx,
                                             const std::vector<int64_t>& params, const std::string& kernel) {
    const BoundArray gya(gy), xa(x), gxa(gx);
    const auto p = pool_params(params);
    without_gil([&] { fastnn::max_pool2d_backward(gya.view(), xa.view(), gxa.view(), p, kernel); });
  }, py::arg("grad_output"), py::arg("input"), py::arg("grad_input"), py::arg("params"), py::arg("kernel") = "");
  m.def("avg_pool2d", [pool_params](py::handle x, py::handle out, const std::vector<int64_t>& params,
                                    const std::string& kernel) {
    if (!kernel.empty())
      fastnn::fail(fastnn::ErrorKind::Value, "avg_pool2d: no kernel variants to force (kernel='", kernel, "')");
    const BoundArray xa(x), oa(out);
    const auto p = pool_params(params);
    without_gil([&] { fastnn::avg_pool2d(xa.view(), oa.view(), p); });
  }, py::arg("input"), py::arg("out"), py::arg("params"), py::arg("kernel") = "");
  m.def("avg_pool2d_backward", [pool_params](py::handle gy, py::handle gx, const std::vector<int64_t>& params,
                                             const std::string& kernel) {
    if (!kernel.empty())
      fastnn::fail(fastnn::ErrorKind::Value, "avg_pool2d_backward: no kernel variants to force (kernel='", kernel, "')");
    const BoundArray gya(gy), gxa(gx);
    const auto p = pool_params(params);
    without_gil([&] { fastnn::avg_pool2d_backward(gya.view(), gxa.view(), p); });
  }, py::arg("grad_output"), py::arg("grad_input"), py::arg("params"), py::arg("kernel") = "");
  // op: the op whose output is sized (its errors name it)
  m.def("pool_output_size", [](int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation,
                               bool ceil_mode, const std::string& op) {
    return fastnn::pool_output_size(in, kernel, stride, pad, dilation, ceil_mode, op.c_str());
  }, py::arg("in"), py::arg("kernel"), py::arg("stride"), py::arg("pad"), py::arg("dilation"), py::arg("ceil_mode"),
     py::arg("op"));

  m.def("sum_rows", [](py::handle x, py::handle out, bool accumulate, const std::string& kernel) {
    if (!kernel.empty())
      fastnn::fail(fastnn::ErrorKind::Value, "fastnn._C.sum_rows: no kernel variants to force (kernel='", kernel, "')");
    const BoundArray xa(x), oa(out);
    without_gil([&] { fastnn::sum_rows(xa.view(), oa.view(), accumulate); });
  }, py::arg("x"), py::arg("out"), py::arg("accumulate"), py::arg("kernel") = "");

  m.def("cpu_info", [] {
    const auto& f = fastnn::cpu_features();
    py::dict features;
    for (const auto& [name, on] : f.flags) features[py::str(name)] = on;
    py::dict info;
    info["vendor"] = f.vendor;
    info["brand"] = f.brand;
    info["features"] = features;
    info["best_isa"] = fastnn::isa_name(f.best);
    info["isa"] = fastnn::isa_name(fastnn::active_isa());
    info["llc_bytes"] = f.llc_bytes;
    return info;
  });

  m.def("list_kernels", [] {
    py::list out;
    for (const auto& k : fastnn::list_kernels()) {
      py::dict d;
      d["family"] = k.family;
      d["name"] = k.name;
      d["isa"] = fastnn::isa_name(k.isa);
      d["usable"] = fastnn::may_use(k.isa);
      d["streaming"] = k.streaming;
      out.append(d);
    }
    return out;
  });
  m.attr("gemm_dot_max_m") = fastnn::kGemmDotMaxM;
  m.def("gemm_blocking", [](const std::string& name) {
    const fastnn::GemmBlocking b = fastnn::gemm_blocking(name);
    py::dict d;
    d["mr"] = b.mr;
    d["nr"] = b.nr;
    d["kc"] = b.kc;
    d["mc"] = b.mc;
    d["nc"] = b.nc;
    return d;
  }, py::arg("name"));
  m.def("selected_kernel", &fastnn::selected_kernel, py::arg("family"), py::arg("streaming") = false);

  auto ceiling_dict = [](const fastnn::Ceiling& c, const char* unit) {
    py::dict d;
    d["value"] = c.value;
    d["unit"] = unit;
    d["kernel"] = c.kernel;
    d["threads"] = c.threads;
    return d;
  };
  m.def("measure_fma_gflops", [ceiling_dict](double seconds, const std::string& kernel) {
    fastnn::Ceiling c;
    without_gil([&] { c = fastnn::measure_fma_gflops(seconds, kernel); });
    return ceiling_dict(c, "GFLOP/s");
  }, py::arg("seconds"), py::arg("kernel") = "");
  m.def("measure_bandwidth_gbps", [ceiling_dict](int64_t nbytes, int reps, const std::string& pattern) {
    fastnn::Ceiling c;
    without_gil([&] { c = fastnn::measure_bandwidth_gbps(nbytes, reps, pattern); });
    return ceiling_dict(c, "GB/s");
  }, py::arg("nbytes"), py::arg("reps"), py::arg("pattern") = "copy");
  m.def("run_fma_peak_kernel", [](const std::string& kernel, int64_t iters) {
    double flops = 0;
    const float checksum = fastnn::run_fma_peak_kernel(kernel, iters, &flops);
    return py::make_tuple(checksum, flops);
  }, py::arg("kernel"), py::arg("iters"));

  m.def("get_num_threads", &fastnn::get_num_threads);
  m.def("set_num_threads", &fastnn::set_num_threads, py::arg("n"));
  m.def("default_num_threads", &fastnn::default_num_threads);
  m.def("thread_backend", &fastnn::thread_backend);
  m.def("_last_call_held_gil", [] { return fastnn::bind::g_last_call_held_gil.load(); });
}
