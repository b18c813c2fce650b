// test_cuda_emu.cpp — fastnn's CUDA kernels (csrc/cuda/*.cu, unchanged) run through the SIMT emulator with
// no Python, against the CPU ops on the same inputs. Built three ways by CI: fibers (plain), under
// AddressSanitizer (exact-size buffers), and under ThreadSanitizer, where every CUDA thread is an OS thread
// (cuda/simt/simt.h): a missing __syncthreads or __syncwarp in any kernel is then a reported data race.
// Shapes are small (OS threads are expensive under ThreadSanitizer) but cover tails, several blocks and
// several warps per block.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/array_view.h"
#include "core/error.h"
#include "ops/cuda.h"
#include "ops/activation.h"
#include "ops/conv.h"
#include "ops/dropout.h"
#include "ops/gemm.h"
#include "ops/loss.h"
#include "ops/norm.h"
#include "ops/pool.h"
#include "ops/relu.h"
#include "ops/rnn.h"
#include "ops/softmax.h"

namespace {

using fastnn::ArrayView;
using fastnn::DType;

int g_failures = 0;
int g_checked = 0;

struct Buf {
  std::vector<float> v;
  std::vector<int64_t> shape;
  explicit Buf(std::vector<int64_t> s, unsigned seed = 0, float lo = -2.f, float hi = 2.f) : shape(std::move(s)) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    v.resize(size_t(n));
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    for (float& x : v) x = seed ? u(rng) : 0.f;
  }
  ArrayView view() {
    ArrayView a;
    a.data = v.data();
    a.dtype = DType::Float32;
    a.shape = shape;
    a.strides.assign(shape.size(), 1);
    for (size_t i = shape.size(); i-- > 1;) a.strides[i - 1] = a.strides[i] * shape[i];
    return a;
  }
};

void expect_close(const std::string& what, const std::vector<float>& got, const std::vector<float>& want,
                  float tol = 1e-5f) {
  ++g_checked;
  if (got.size() != want.size()) {
    ++g_failures;
    std::fprintf(stderr, "%s: %zu values vs %zu\n", what.c_str(), got.size(), want.size());
    return;
  }
  for (size_t i = 0; i < got.size(); ++i) {
    const float err = std::fabs(got[i] - want[i]), bound = tol * (1.f + std::fabs(want[i]));
    if (!(err <= bound) && !(std::isnan(got[i]) && std::isnan(want[i]))) {
      ++g_failures;
      std::fprintf(stderr, "%s: at %zu, emulated CUDA %g vs CPU %g\n", what.c_str(), i, got[i], want[i]);
      return;
    }
  }
}

void test_elementwise() {
  const int64_t n = 1000 + 7;  // several blocks, a float4 tail
  Buf x({n}, 1), dy({n}, 2);
  {
    Buf a({n}), b({n});
    fastnn::relu(x.view(), a.view());
    fastnn::cuda::relu(x.view(), b.view(), nullptr);
    expect_close("relu", b.v, a.v, 0);
    fastnn::relu_backward(dy.view(), a.view(), x.view());
    Buf g({n});
    fastnn::cuda::relu_backward(dy.view(), a.view(), g.view(), nullptr);
    expect_close("relu_backward", g.v, x.v, 0);
  }
  using fastnn::Act;
  for (Act act : {Act::LeakyRelu, Act::Elu, Act::Sigmoid, Act::Tanh, Act::Gelu, Act::GeluTanh, Act::Silu,
                  Act::Hardtanh, Act::Softplus}) {
    fastnn::ActParams p;
    if (act == Act::LeakyRelu) p.a = 0.1;
    if (act == Act::Elu) p.a = 0.7;
    if (act == Act::Hardtanh) p.a = -0.5, p.b = 0.5;
    if (act == Act::Softplus) p.a = 1.5, p.b = 10;
    Buf a({n}), b({n}), ga({n}), gb({n});
    fastnn::activation(act, p, x.view(), a.view(), "activation_f32__ref");
    fastnn::cuda::activation(act, p, x.view(), b.view(), nullptr);
    expect_close("activation " + std::to_string(int(act)), b.v, a.v, 1e-5f);
    fastnn::activation_backward(act, p, dy.view(), x.view(), ga.view(), "activation_f32__ref");
    fastnn::cuda::activation_backward(act, p, dy.view(), x.view(), gb.view(), nullptr);
    expect_close("activation_backward " + std::to_string(int(act)), gb.v, ga.v, 1e-5f);
  }
  std::vector<uint8_t> m1(size_t((n + 7) / 8)), m2(m1.size());
  Buf a({n}), b({n});
  fastnn::dropout(x.view(), a.view(), m1.data(), 0.3, 42);
  fastnn::cuda::dropout(x.view(), b.view(), m2.data(), 0.3, 42, nullptr);
  expect_close("dropout", b.v, a.v, 1e-6f);
  ++g_checked;
  if (m1 != m2) ++g_failures, std::fprintf(stderr, "dropout: masks differ\n");
}

void test_softmax_and_losses() {
  for (int64_t cols : {10, 33, 700}) {  // warp per row; several chunks per lane
    Buf x({9, cols}, 3), gy({9, cols}, 4);
    for (bool log : {false, true}) {
      Buf a({9, cols}), b({9, cols}), ga({9, cols}), gb({9, cols});
      fastnn::softmax(x.view(), a.view(), 1, log);
      fastnn::cuda::softmax(x.view(), b.view(), 1, log, nullptr);
      expect_close("softmax cols=" + std::to_string(cols), b.v, a.v, 1e-5f);
      fastnn::softmax_backward(gy.view(), a.view(), ga.view(), 1, log);
      fastnn::cuda::softmax_backward(gy.view(), a.view(), gb.view(), 1, log, nullptr);
      expect_close("softmax_backward cols=" + std::to_string(cols), gb.v, ga.v, 1e-5f);
    }
    Buf a({9, cols}), b({9, cols});  // a non-last dim: thread per column
    fastnn::softmax(x.view(), a.view(), 0, false);
    fastnn::cuda::softmax(x.view(), b.view(), 0, false, nullptr);
    expect_close("softmax dim 0", b.v, a.v, 1e-5f);
  }
  {
    const int64_t rows = 70, classes = 37;
    Buf x({rows, classes}, 5);
    std::vector<int64_t> target(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i) target[size_t(i)] = i % 5 == 0 ? -100 : (i * 7) % classes;
    fastnn::CrossEntropyParams p;
    p.label_smoothing = 0.1;
    Buf la({1}), lb({1}), ga({rows, classes}), gb({rows, classes});
    const ArrayView gav = ga.view(), gbv = gb.view();
    fastnn::cross_entropy(x.view(), target.data(), nullptr, nullptr, la.view(), &gav, nullptr, p);
    fastnn::cuda::cross_entropy(x.view(), target.data(), nullptr, nullptr, lb.view(), &gbv, nullptr, p, nullptr);
    expect_close("cross_entropy loss", lb.v, la.v, 1e-5f);
    expect_close("cross_entropy grad", gb.v, ga.v, 1e-5f);
  }
  using fastnn::Loss;
  using fastnn::Reduction;
  for (Loss kind : {Loss::Mse, Loss::L1, Loss::SmoothL1, Loss::Huber, Loss::Bce, Loss::BceLogits}) {
    const bool probs = kind == Loss::Bce;
    Buf x({1500}, 6, probs ? 0.05f : -2.f, probs ? 0.95f : 2.f), y({1500}, 7, 0.f, 1.f);
    for (Reduction r : {Reduction::Mean, Reduction::None}) {
      const int64_t out_n = r == Reduction::None ? 1500 : 1;
      Buf a({out_n}), b({out_n});
      fastnn::pointwise_loss(kind, 1.0, x.view(), y.view(), nullptr, nullptr, a.view(), r);
      fastnn::cuda::pointwise_loss(kind, 1.0, x.view(), y.view(), nullptr, nullptr, b.view(), r, nullptr);
      expect_close("loss " + std::to_string(int(kind)), b.v, a.v, 1e-5f);
    }
    Buf g({1}, 8), ga({1500}), gb({1500});
    fastnn::pointwise_loss_backward(kind, 1.0, x.view(), y.view(), nullptr, nullptr, g.view(), ga.view(), Reduction::Mean);
    fastnn::cuda::pointwise_loss_backward(kind, 1.0, x.view(), y.view(), nullptr, nullptr, g.view(), gb.view(),
                                          Reduction::Mean, nullptr);
    expect_close("loss backward " + std::to_string(int(kind)), gb.v, ga.v, 1e-5f);
  }
}

void test_gemm_conv_pool() {
  {
    Buf a({37, 45}, 9), b({45, 29}, 10), c1({37, 29}), c2({37, 29});
    fastnn::MatmulOptions opt;
    fastnn::matmul(a.view(), b.view(), c1.view(), nullptr, nullptr, opt);
    fastnn::cuda::matmul(a.view(), b.view(), c2.view(), nullptr, nullptr, opt, nullptr);
    expect_close("matmul", c2.v, c1.v, 1e-4f);
    Buf s1({29}), s2({29});
    fastnn::sum_rows(c1.view(), s1.view(), false);
    fastnn::cuda::sum_rows(c1.view(), s2.view(), false, nullptr);
    expect_close("sum_rows", s2.v, s1.v, 1e-4f);
  }
  {
    fastnn::Conv2dParams p;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    Buf x({2, 3, 9, 8}, 11), w({4, 3, 3, 3}, 12), bias({4}, 13), y1({2, 4, 9, 8}), y2({2, 4, 9, 8});
    const ArrayView bv = bias.view();
    fastnn::conv2d(x.view(), w.view(), &bv, y1.view(), p);
    fastnn::cuda::conv2d(x.view(), w.view(), &bv, y2.view(), p, nullptr);
    expect_close("conv2d", y2.v, y1.v, 1e-4f);
    Buf gy({2, 4, 9, 8}, 14), gx1({2, 3, 9, 8}), gx2({2, 3, 9, 8}), gw1({4, 3, 3, 3}), gw2({4, 3, 3, 3}), gb1({4}), gb2({4});
    const ArrayView gx1v = gx1.view(), gw1v = gw1.view(), gb1v = gb1.view(), gx2v = gx2.view(), gw2v = gw2.view(),
                    gb2v = gb2.view();
    fastnn::conv2d_backward(gy.view(), x.view(), w.view(), &gx1v, &gw1v, &gb1v, p);
    fastnn::cuda::conv2d_backward(gy.view(), x.view(), w.view(), &gx2v, &gw2v, &gb2v, p, nullptr);
    expect_close("conv2d input grad", gx2.v, gx1.v, 1e-4f);
    expect_close("conv2d weight grad", gw2.v, gw1.v, 1e-4f);
    expect_close("conv2d bias grad", gb2.v, gb1.v, 1e-4f);
  }
  {
    fastnn::Pool2dParams p;
    p.kernel_h = p.kernel_w = 3;
    p.stride_h = p.stride_w = 2;
    p.pad_h = p.pad_w = 1;
    Buf x({2, 3, 9, 8}, 15), y1({2, 3, 5, 4}), y2({2, 3, 5, 4});
    std::vector<int64_t> i1(y1.v.size()), i2(y1.v.size());
    fastnn::max_pool2d(x.view(), y1.view(), i1.data(), p);
    fastnn::cuda::max_pool2d(x.view(), y2.view(), i2.data(), p, nullptr);
    expect_close("max_pool2d", y2.v, y1.v, 0);
    ++g_checked;
    if (i1 != i2) ++g_failures, std::fprintf(stderr, "max_pool2d: indices differ\n");
    Buf gy({2, 3, 5, 4}, 16), g1({2, 3, 9, 8}), g2({2, 3, 9, 8});
    fastnn::max_pool2d_backward(gy.view(), x.view(), g1.view(), p);
    fastnn::cuda::max_pool2d_backward(gy.view(), x.view(), g2.view(), p, nullptr);
    expect_close("max_pool2d backward", g2.v, g1.v, 1e-6f);
    fastnn::avg_pool2d(x.view(), y1.view(), p);
    fastnn::cuda::avg_pool2d(x.view(), y2.view(), p, nullptr);
    expect_close("avg_pool2d", y2.v, y1.v, 1e-6f);
    fastnn::avg_pool2d_backward(gy.view(), g1.view(), p);
    fastnn::cuda::avg_pool2d_backward(gy.view(), g2.view(), p, nullptr);
    expect_close("avg_pool2d backward", g2.v, g1.v, 1e-6f);
  }
}

void test_norm_and_rnn() {
  {  // batch norm, training (running statistics updated) then eval, and the backward of each
    Buf x({3, 5, 4, 7}, 17), w({5}, 18), b({5}, 19), gy({3, 5, 4, 7}, 20);
    Buf rm1({5}, 21), rv1({5}, 22, 0.5f, 2.f), rm2 = rm1, rv2 = rv1;
    for (bool training : {true, false}) {
      Buf y1({3, 5, 4, 7}), y2({3, 5, 4, 7}), m1({5}), m2({5}), s1({5}), s2({5});
      const ArrayView wv = w.view(), bv = b.view(), rm1v = rm1.view(), rv1v = rv1.view(), rm2v = rm2.view(),
                      rv2v = rv2.view();
      fastnn::batch_norm(x.view(), &wv, &bv, &rm1v, &rv1v, training, 0.1, 1e-5, y1.view(), m1.view(), s1.view());
      fastnn::cuda::batch_norm(x.view(), &wv, &bv, &rm2v, &rv2v, training, 0.1, 1e-5, y2.view(), m2.view(), s2.view(),
                               nullptr);
      const std::string mode = training ? " (training)" : " (eval)";
      expect_close("batch_norm" + mode, y2.v, y1.v, 1e-5f);
      expect_close("batch_norm running mean", rm2.v, rm1.v, 1e-6f);
      expect_close("batch_norm running var", rv2.v, rv1.v, 1e-6f);
      Buf gx1({3, 5, 4, 7}), gx2({3, 5, 4, 7}), gw1({5}), gw2({5}), gb1({5}), gb2({5});
      const ArrayView gx1v = gx1.view(), gw1v = gw1.view(), gb1v = gb1.view(), gx2v = gx2.view(), gw2v = gw2.view(),
                      gb2v = gb2.view();
      fastnn::batch_norm_backward(gy.view(), x.view(), &wv, m1.view(), s1.view(), training, &gx1v, &gw1v, &gb1v);
      fastnn::cuda::batch_norm_backward(gy.view(), x.view(), &wv, m1.view(), s1.view(), training, &gx2v, &gw2v, &gb2v,
                                        nullptr);
      expect_close("batch_norm input grad" + mode, gx2.v, gx1.v, 1e-4f);
      expect_close("batch_norm weight grad" + mode, gw2.v, gw1.v, 1e-4f);
      expect_close("batch_norm bias grad" + mode, gb2.v, gb1.v, 1e-4f);
    }
  }
  {  // layer norm over rows of 300 (a block of 256 threads and a tail)
    Buf x({5, 300}, 23), w({300}, 24), b({300}, 25), gy({5, 300}, 26), y1({5, 300}), y2({5, 300}), m1({5}), m2({5}),
        r1({5}), r2({5});
    const ArrayView wv = w.view(), bv = b.view();
    fastnn::layer_norm(x.view(), 300, &wv, &bv, 1e-5, y1.view(), m1.view(), r1.view());
    fastnn::cuda::layer_norm(x.view(), 300, &wv, &bv, 1e-5, y2.view(), m2.view(), r2.view(), nullptr);
    expect_close("layer_norm", y2.v, y1.v, 1e-5f);
    Buf gx1({5, 300}), gx2({5, 300}), gw1({300}), gw2({300}), gb1({300}), gb2({300});
    const ArrayView gx1v = gx1.view(), gw1v = gw1.view(), gb1v = gb1.view(), gx2v = gx2.view(), gw2v = gw2.view(),
                    gb2v = gb2.view();
    fastnn::layer_norm_backward(gy.view(), x.view(), 300, &wv, m1.view(), r1.view(), &gx1v, &gw1v, &gb1v);
    fastnn::cuda::layer_norm_backward(gy.view(), x.view(), 300, &wv, m1.view(), r1.view(), &gx2v, &gw2v, &gb2v, nullptr);
    expect_close("layer_norm input grad", gx2.v, gx1.v, 1e-4f);
    expect_close("layer_norm weight grad", gw2.v, gw1.v, 1e-4f);
    expect_close("layer_norm bias grad", gb2.v, gb1.v, 1e-4f);
  }
  const int64_t T = 3, B = 2, I = 5, H = 7;
  for (bool reverse : {false, true}) {  // LSTM with bias and initial states
    const std::string dir = reverse ? " (reverse)" : "";
    Buf x({T, B, I}, 27, -1, 1), wi({4 * H, I}, 28, -.5f, .5f), wh({4 * H, H}, 29, -.5f, .5f), b({4 * H}, 30),
        h0({B, H}, 31), c0({B, H}, 32), g({T, B, H}, 33), ghn({B, H}, 34), gcn({B, H}, 35);
    const ArrayView bv = b.view(), h0v = h0.view(), c0v = c0.view(), gv = g.view(), ghnv = ghn.view(), gcnv = gcn.view();
    Buf h[2] = {Buf({T, B, H}), Buf({T, B, H})}, c[2] = {Buf({T, B, H}), Buf({T, B, H})},
        act[2] = {Buf({T, B, 4 * H}), Buf({T, B, 4 * H})};
    fastnn::lstm_layer(x.view(), wi.view(), wh.view(), &bv, &h0v, &c0v, reverse, h[0].view(), c[0].view(), act[0].view());
    fastnn::cuda::lstm_layer(x.view(), wi.view(), wh.view(), &bv, &h0v, &c0v, reverse, h[1].view(), c[1].view(),
                             act[1].view(), nullptr);
    expect_close("lstm_layer h" + dir, h[1].v, h[0].v, 1e-5f);
    expect_close("lstm_layer c" + dir, c[1].v, c[0].v, 1e-5f);
    std::vector<Buf> grads[2];
    for (int which = 0; which < 2; ++which) {
      grads[which] = {Buf({T, B, I}), Buf({4 * H, I}), Buf({4 * H, H}), Buf({4 * H}), Buf({B, H}), Buf({B, H})};
      std::vector<ArrayView> o;
      for (Buf& q : grads[which]) o.push_back(q.view());
      if (which == 0)
        fastnn::lstm_layer_backward(x.view(), wi.view(), wh.view(), &h0v, &c0v, reverse, h[0].view(), c[0].view(),
                                    act[0].view(), &gv, &ghnv, &gcnv, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5]);
      else
        fastnn::cuda::lstm_layer_backward(x.view(), wi.view(), wh.view(), &h0v, &c0v, reverse, h[0].view(),
                                          c[0].view(), act[0].view(), &gv, &ghnv, &gcnv, &o[0], &o[1], &o[2], &o[3],
                                          &o[4], &o[5], nullptr);
    }
    const char* names[] = {"dx", "dw_ih", "dw_hh", "dbias", "dh0", "dc0"};
    for (size_t i = 0; i < 6; ++i)
      expect_close(std::string("lstm_layer_backward ") + names[i] + dir, grads[1][i].v, grads[0][i].v, 1e-4f);
  }
  for (bool reverse : {false, true}) {  // GRU with biases and an initial state
    const std::string dir = reverse ? " (reverse)" : "";
    Buf x({T, B, I}, 36, -1, 1), wi({3 * H, I}, 37, -.5f, .5f), wh({3 * H, H}, 38, -.5f, .5f), bi({3 * H}, 39),
        bh({3 * H}, 40), h0({B, H}, 41), g({T, B, H}, 42), ghn({B, H}, 43);
    const ArrayView biv = bi.view(), bhv = bh.view(), h0v = h0.view(), gv = g.view(), ghnv = ghn.view();
    Buf h[2] = {Buf({T, B, H}), Buf({T, B, H})}, act[2] = {Buf({T, B, 4 * H}), Buf({T, B, 4 * H})};
    fastnn::gru_layer(x.view(), wi.view(), wh.view(), &biv, &bhv, &h0v, reverse, h[0].view(), act[0].view());
    fastnn::cuda::gru_layer(x.view(), wi.view(), wh.view(), &biv, &bhv, &h0v, reverse, h[1].view(), act[1].view(),
                            nullptr);
    expect_close("gru_layer h" + dir, h[1].v, h[0].v, 1e-5f);
    expect_close("gru_layer act" + dir, act[1].v, act[0].v, 1e-5f);
    std::vector<Buf> grads[2];
    for (int which = 0; which < 2; ++which) {
      grads[which] = {Buf({T, B, I}), Buf({3 * H, I}), Buf({3 * H, H}), Buf({3 * H}), Buf({3 * H}), Buf({B, H})};
      std::vector<ArrayView> o;
      for (Buf& q : grads[which]) o.push_back(q.view());
      if (which == 0)
        fastnn::gru_layer_backward(x.view(), wi.view(), wh.view(), &h0v, reverse, h[0].view(), act[0].view(), &gv,
                                   &ghnv, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5]);
      else
        fastnn::cuda::gru_layer_backward(x.view(), wi.view(), wh.view(), &h0v, reverse, h[0].view(), act[0].view(),
                                         &gv, &ghnv, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], nullptr);
    }
    const char* names[] = {"dx", "dw_ih", "dw_hh", "db_ih", "db_hh", "dh0"};
    for (size_t i = 0; i < 6; ++i)
      expect_close(std::string("gru_layer_backward ") + names[i] + dir, grads[1][i].v, grads[0][i].v, 1e-4f);
  }
}

}  // namespace

int main() {
  std::printf("fastnn CUDA kernels on the SIMT emulator (%s mode)\n", simt::mode());
  try {
    test_elementwise();
    test_softmax_and_losses();
    test_gemm_conv_pool();
    test_norm_and_rnn();
  } catch (const std::exception& e) {
    ++g_failures;
    std::fprintf(stderr, "exception: %s\n", e.what());
  }
  std::printf("%d comparisons with the CPU ops; %s (%d failures)\n", g_checked, g_failures ? "FAILED" : "OK", g_failures);
  return g_failures ? 1 : 0;
}
