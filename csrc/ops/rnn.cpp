// rnn.cpp — LSTM layers (ops/rnn.h): checks, the GEMMs around the fused cell kernel, the step loop.
// The cell kernel's rows are split across threads when a step is large enough; the GEMMs split themselves.
// bench: fastnn-bench --filter LSTM
#include "ops/rnn.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "core/buffer_cache.h"
#include "core/error.h"
#include "core/gemm_problem.h"
#include "core/thread_pool.h"
#include "cpu/rnn.h"
#include "ops/gemm.h"

namespace fastnn {
namespace {

template <class E>
const RnnCellKernelsT<E>& cell_kernels(const std::string& kernel, const char* op);
template <>
const RnnCellKernelsT<float>& cell_kernels<float>(const std::string& kernel, const char* op) {
  return pick_kernel(rnn_cell_f32_kernels(), "rnn_cell_f32", kernel, op).fn;
}
template <>
const RnnCellKernelsT<double>& cell_kernels<double>(const std::string&, const char*) {
  return rnn_cell_f64();
}

// c (M x N, ldc) = alpha op(a)·op(b) + beta c, op(a)(i, k) = a[i * a_rs + k * a_cs], op(b)(k, j) = b[k * b_rs + j * b_cs]
template <class E>
void product(int64_t M, int64_t N, int64_t K, const E* a, int64_t a_rs, int64_t a_cs, const E* b, int64_t b_rs,
             int64_t b_cs, E* c, int64_t ldc, E beta, const E* bias_n = nullptr) {
  GemmProblem<E> g{M, N, K, a, a_rs, a_cs, b, b_rs, b_cs, c, ldc, E(1), beta, nullptr, bias_n, false};
  gemm(g);
}

// c (M x N, ldc) = a (M x K, rows contiguous) · op(B) + beta c (+ bias_n), op(B) packed once per layer call
template <class E>
void step_product(int64_t M, const E* a, const PackedGemmB<E>& b, E* c, int64_t ldc, E beta, const E* bias_n = nullptr) {
  GemmProblem<E> g{M, b.N, b.K, a, b.K, 1, nullptr, 0, 0, c, ldc, E(1), beta, nullptr, bias_n, false};
  gemm_prepacked(g, b);
}

// Rows of one step through the cell kernel: threads split the rows from 4096 units on (a fork-join costs
// well under a microsecond; a 32 x 256 LSTM step's cell is ~12 us on one thread).
template <class F>
void over_rows(int64_t B, int64_t H, F&& fn) {
  if (B * H < 4096) return fn(0, B);
  parallel_for(B, std::max<int64_t>(1, 2048 / H), fn);
}

void check_array(const ArrayView& a, const ArrayView& x, std::initializer_list<int64_t> shape, const char* op,
                 const char* arg, bool written) {
  check_cpu_contiguous(a, op, arg);
  if (a.dtype != x.dtype)
    fail(ErrorKind::Type, op, ": '", arg, "' has dtype ", dtype_name(a.dtype), " but input has ", dtype_name(x.dtype));
  if (a.shape != std::vector<int64_t>(shape))
    fail(ErrorKind::Runtime, op, ": '", arg, "' has the wrong shape: ", a.describe());
  if (written) {
    check_writable(a, op, arg);
    check_disjoint(a, arg, x, "input", op);
  }
}

// gates: 4 (LSTM) or 3 (GRU)
RnnShape rnn_shape(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, int64_t gates, DeviceType device,
                   const char* op) {
  check_contiguous_on(x, device, op, "input");
  if (x.shape.size() != 3) fail(ErrorKind::Runtime, op, ": input must be 3-d (T, B, I), got ", x.describe());
  if (w_hh.shape.size() != 2 || w_hh.shape[0] != gates * w_hh.shape[1])
    fail(ErrorKind::Runtime, op, ": weight_hh must be (", gates, "H, H), got ", w_hh.describe());
  const RnnShape s{x.shape[0], x.shape[1], x.shape[2], w_hh.shape[1]};
  if (w_ih.shape.size() == 2 && w_ih.shape[1] != s.I)
    fail(ErrorKind::Runtime, op, ": input has ", s.I, " features in its last dimension but weight_ih has input_size=",
         w_ih.shape[1]);
  check_array(w_ih, x, {gates * s.H, s.I}, op, "weight_ih", false);
  check_array(w_hh, x, {gates * s.H, s.H}, op, "weight_hh", false);
  return s;
}

template <class E>
const E* cptr(const ArrayView* v) { return v ? v->as<const E>() : nullptr; }

// The step processed k-th (k = 0, 1, ...): t = k forward, T-1-k in reverse.
inline int64_t step_at(const RnnShape& s, bool reverse, int64_t k) { return reverse ? s.T - 1 - k : k; }

// The previous hidden state of every step, in step order t (T, B, H): h_all of the neighbour step, h0 (or
// zeros) for the first step processed. The operand of the weight gradient of w_hh.
template <class E>
void fill_previous_states(const RnnShape& s, bool reverse, const E* h_all, const E* h0, E* out) {
  const int64_t BH = s.B * s.H;
  for (int64_t k = 0; k < s.T; ++k) {
    const E* src = k ? h_all + step_at(s, reverse, k - 1) * BH : h0;
    E* dst = out + step_at(s, reverse, k) * BH;
    if (src) std::copy_n(src, BH, dst);
    else std::fill_n(dst, BH, E(0));
  }
}

// out[j] = sum_r d[r * cols + j] (a bias gradient), accumulated in double over the rows in order, columns
// in chunks across threads (a column at a time strides a whole row apart: 10x slower).
template <class E>
void column_sums(const E* d, int64_t rows, int64_t cols, E* out) {
  parallel_for(cols, 256, [&](int64_t j0, int64_t j1) {
    std::vector<double> acc(static_cast<size_t>(j1 - j0), 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = j0; j < j1; ++j) acc[size_t(j - j0)] += double(d[r * cols + j]);
    for (int64_t j = j0; j < j1; ++j) out[j] = E(acc[size_t(j - j0)]);
  });
}

// The outputs of a layer over an empty sequence or batch: the state gradients pass through, the others are zero.
template <class E>
void empty_backward(int64_t BH, std::initializer_list<std::pair<const ArrayView*, const ArrayView*>> pass,
                    std::initializer_list<const ArrayView*> zero) {
  for (const auto& [out, in] : pass)
    if (out) in ? std::copy_n(in->template as<const E>(), BH, out->template as<E>()) : std::fill_n(out->template as<E>(), BH, E(0));
  for (const ArrayView* out : zero)
    if (out) std::fill_n(out->template as<E>(), out->numel(), E(0));
}

template <class E>
void forward(const RnnShape& s, const ArrayView& xv, const ArrayView& wihv, const ArrayView& whhv, const ArrayView* bv,
             const ArrayView* h0v, const ArrayView* c0v, bool reverse, const ArrayView& hv, const ArrayView& cv,
             const ArrayView& av, const std::string& kernel) {
  const RnnCellKernelsT<E>& K = cell_kernels<E>(kernel, "lstm_layer");
  const int64_t G = 4 * s.H, BH = s.B * s.H;
  const E *x = xv.as<const E>(), *w_ih = wihv.as<const E>(), *w_hh = whhv.as<const E>();
  E *h = hv.as<E>(), *c = cv.as<E>(), *act = av.as<E>();
  if (s.T == 0 || s.B == 0) return;
  // every step's input projection (and the bias) at once: act = x · w_ihᵀ + bias
  product<E>(s.T * s.B, G, s.I, x, s.I, 1, w_ih, 1, s.I, act, G, E(0), cptr<E>(bv));
  const PackedGemmB<E> w_hh_t = pack_gemm_b(s.H, G, w_hh, 1, s.H);  // op(B) = w_hhᵀ (H x 4H)
  for (int64_t k = 0; k < s.T; ++k) {
    const int64_t t = step_at(s, reverse, k);
    const E* h_prev = k ? h + step_at(s, reverse, k - 1) * BH : cptr<E>(h0v);
    const E* c_prev = k ? c + step_at(s, reverse, k - 1) * BH : cptr<E>(c0v);
    E* a = act + t * s.B * G;
    if (h_prev) step_product<E>(s.B, h_prev, w_hh_t, a, G, E(1));
    over_rows(s.B, s.H, [&](int64_t r0, int64_t r1) {
      K.lstm_forward(a + r0 * G, c_prev ? c_prev + r0 * s.H : nullptr, c + t * BH + r0 * s.H, h + t * BH + r0 * s.H,
                r1 - r0, s.H);
    });
  }
}

template <class E>
void backward(const RnnShape& s, const ArrayView& xv, const ArrayView& wihv, const ArrayView& whhv,
              const ArrayView* h0v, const ArrayView* c0v, bool reverse, const ArrayView& hv, const ArrayView& cv,
              const ArrayView& av, const ArrayView* dhv, const ArrayView* dhnv, const ArrayView* dcnv,
              const ArrayView* dxv, const ArrayView* dwihv, const ArrayView* dwhhv, const ArrayView* dbv,
              const ArrayView* dh0v, const ArrayView* dc0v, const std::string& kernel) {
  const RnnCellKernelsT<E>& K = cell_kernels<E>(kernel, "lstm_layer_backward");
  const int64_t G = 4 * s.H, BH = s.B * s.H;
  const E *x = xv.as<const E>(), *w_ih = wihv.as<const E>(), *w_hh = whhv.as<const E>(), *h = hv.as<const E>(),
          *c = cv.as<const E>(), *act = av.as<const E>(), *dh_all = cptr<E>(dhv);
  const int64_t TB = s.T * s.B;
  if (TB == 0) return empty_backward<E>(BH, {{dh0v, dhnv}, {dc0v, dcnv}}, {dxv, dwihv, dwhhv, dbv});
  const CachedArray<E> dgates_buf(TB * G);  // every element written by a step's cell kernel
  E* const dgates = dgates_buf.data();
  std::vector<E> dh(static_cast<size_t>(BH)), dc(static_cast<size_t>(BH));
  if (dhnv) std::copy_n(dhnv->as<const E>(), BH, dh.begin());
  if (dcnv) std::copy_n(dcnv->as<const E>(), BH, dc.begin());
  std::vector<E> dh_step(static_cast<size_t>(BH));
  const PackedGemmB<E> w_hh_p = pack_gemm_b(G, s.H, w_hh, s.H, 1);  // op(B) = w_hh (4H x H)
  for (int64_t k = s.T - 1; k >= 0; --k) {
    const int64_t t = step_at(s, reverse, k);
    const E* c_prev = k ? c + step_at(s, reverse, k - 1) * BH : cptr<E>(c0v);
    for (int64_t i = 0; i < BH; ++i) dh_step[size_t(i)] = dh[size_t(i)] + (dh_all ? dh_all[t * BH + i] : E(0));
    E* dg = dgates + t * s.B * G;
    over_rows(s.B, s.H, [&](int64_t r0, int64_t r1) {
      K.lstm_backward(act + t * s.B * G + r0 * G, c_prev ? c_prev + r0 * s.H : nullptr, c + t * BH + r0 * s.H,
                 dh_step.data() + r0 * s.H, dc.data() + r0 * s.H, dg + r0 * G, r1 - r0, s.H);
    });
    step_product<E>(s.B, dg, w_hh_p, dh.data(), s.H, E(0));  // dh_prev = dgates · w_hh
  }
  if (dh0v) std::copy(dh.begin(), dh.end(), dh0v->as<E>());
  if (dc0v) std::copy(dc.begin(), dc.end(), dc0v->as<E>());
  if (dxv && s.I > 0) product<E>(TB, s.I, G, dgates, G, 1, w_ih, s.I, 1, dxv->as<E>(), s.I, E(0));
  if (dwihv) product<E>(G, s.I, TB, dgates, 1, G, x, s.I, 1, dwihv->as<E>(), s.I, E(0));
  if (dwhhv) {
    const CachedArray<E> h_prev(TB * s.H);
    fill_previous_states(s, reverse, h, cptr<E>(h0v), h_prev.data());
    product<E>(G, s.H, TB, dgates, 1, G, h_prev.data(), s.H, 1, dwhhv->as<E>(), s.H, E(0));
  }
  if (dbv) column_sums(dgates, TB, G, dbv->as<E>());
}


// GRU: act (T, B, 4H) holds gi = x·W_ihᵀ + b_ih in its first 3H columns until a step's cell kernel replaces
// them by [r z n gh_n]; gh = h_prev·W_hhᵀ + b_hh is one step's scratch (B, 3H).
template <class E>
void gru_forward(const RnnShape& s, const ArrayView& xv, const ArrayView& wihv, const ArrayView& whhv,
                 const ArrayView* bihv, const ArrayView* bhhv, const ArrayView* h0v, bool reverse, const ArrayView& hv,
                 const ArrayView& av, const std::string& kernel) {
  const RnnCellKernelsT<E>& K = cell_kernels<E>(kernel, "gru_layer");
  const int64_t G = 3 * s.H, A = 4 * s.H, BH = s.B * s.H;
  const E *x = xv.as<const E>(), *w_ih = wihv.as<const E>(), *w_hh = whhv.as<const E>(), *b_hh = cptr<E>(bhhv);
  E *h = hv.as<E>(), *act = av.as<E>();
  if (s.T == 0 || s.B == 0) return;
  product<E>(s.T * s.B, G, s.I, x, s.I, 1, w_ih, 1, s.I, act, A, E(0), cptr<E>(bihv));
  std::vector<E> gh(static_cast<size_t>(s.B * G));
  const PackedGemmB<E> w_hh_t = pack_gemm_b(s.H, G, w_hh, 1, s.H);  // op(B) = w_hhᵀ (H x 3H)
  for (int64_t k = 0; k < s.T; ++k) {
    const int64_t t = step_at(s, reverse, k);
    const E* h_prev = k ? h + step_at(s, reverse, k - 1) * BH : cptr<E>(h0v);
    if (h_prev) {
      step_product<E>(s.B, h_prev, w_hh_t, gh.data(), G, E(0), b_hh);
    } else {  // zero state: gh is the bias alone
      for (int64_t r = 0; r < s.B; ++r) {
        if (b_hh) std::copy_n(b_hh, G, gh.begin() + r * G);
        else std::fill_n(gh.begin() + r * G, G, E(0));
      }
    }
    over_rows(s.B, s.H, [&](int64_t r0, int64_t r1) {
      K.gru_forward(act + (t * s.B + r0) * A, gh.data() + r0 * G, h_prev ? h_prev + r0 * s.H : nullptr,
                    h + t * BH + r0 * s.H, r1 - r0, s.H);
    });
  }
}

template <class E>
void gru_backward(const RnnShape& s, const ArrayView& xv, const ArrayView& wihv, const ArrayView& whhv,
                  const ArrayView* h0v, bool reverse, const ArrayView& hv, const ArrayView& av, const ArrayView* dhv,
                  const ArrayView* dhnv, const ArrayView* dxv, const ArrayView* dwihv, const ArrayView* dwhhv,
                  const ArrayView* dbihv, const ArrayView* dbhhv, const ArrayView* dh0v, const std::string& kernel) {
  const RnnCellKernelsT<E>& K = cell_kernels<E>(kernel, "gru_layer_backward");
  const int64_t G = 3 * s.H, A = 4 * s.H, BH = s.B * s.H, TB = s.T * s.B;
  const E *x = xv.as<const E>(), *w_ih = wihv.as<const E>(), *w_hh = whhv.as<const E>(), *h = hv.as<const E>(),
          *act = av.as<const E>(), *dh_all = cptr<E>(dhv);
  if (TB == 0) return empty_backward<E>(BH, {{dh0v, dhnv}}, {dxv, dwihv, dwhhv, dbihv, dbhhv});
  const CachedArray<E> dgi_buf(TB * G), dgh_buf(TB * G);  // written by the steps' cell kernels
  E *const dgi = dgi_buf.data(), *const dgh = dgh_buf.data();
  std::vector<E> dh(static_cast<size_t>(BH)), dh_step(static_cast<size_t>(BH));
  if (dhnv) std::copy_n(dhnv->as<const E>(), BH, dh.begin());
  const PackedGemmB<E> w_hh_p = pack_gemm_b(G, s.H, w_hh, s.H, 1);  // op(B) = w_hh (3H x H)
  for (int64_t k = s.T - 1; k >= 0; --k) {
    const int64_t t = step_at(s, reverse, k);
    const E* h_prev = k ? h + step_at(s, reverse, k - 1) * BH : cptr<E>(h0v);
    for (int64_t i = 0; i < BH; ++i) dh_step[size_t(i)] = dh[size_t(i)] + (dh_all ? dh_all[t * BH + i] : E(0));
    E *di = dgi + t * s.B * G, *dg = dgh + t * s.B * G;
    over_rows(s.B, s.H, [&](int64_t r0, int64_t r1) {
      K.gru_backward(act + (t * s.B + r0) * A, h_prev ? h_prev + r0 * s.H : nullptr, dh_step.data() + r0 * s.H,
                     di + r0 * G, dg + r0 * G, dh.data() + r0 * s.H, r1 - r0, s.H);
    });
    step_product<E>(s.B, dg, w_hh_p, dh.data(), s.H, E(1));  // dh_prev += dgh · w_hh
  }
  if (dh0v) std::copy(dh.begin(), dh.end(), dh0v->as<E>());
  if (dxv && s.I > 0) product<E>(TB, s.I, G, dgi, G, 1, w_ih, s.I, 1, dxv->as<E>(), s.I, E(0));
  if (dwihv) product<E>(G, s.I, TB, dgi, 1, G, x, s.I, 1, dwihv->as<E>(), s.I, E(0));
  if (dwhhv) {
    const CachedArray<E> h_prev(TB * s.H);
    fill_previous_states(s, reverse, h, cptr<E>(h0v), h_prev.data());
    product<E>(G, s.H, TB, dgh, 1, G, h_prev.data(), s.H, 1, dwhhv->as<E>(), s.H, E(0));
  }
  if (dbihv) column_sums(dgi, TB, G, dbihv->as<E>());
  if (dbhhv) column_sums(dgh, TB, G, dbhhv->as<E>());
}

}  // namespace

RnnShape check_lstm_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* bias,
                          const ArrayView* h0, const ArrayView* c0, const ArrayView& h_all, const ArrayView& c_all,
                          const ArrayView& act, DeviceType device) {
  const char* op = "lstm_layer";
  const RnnShape s = rnn_shape(x, w_ih, w_hh, 4, device, op);
  if (bias) check_array(*bias, x, {4 * s.H}, op, "bias", false);
  if (h0) check_array(*h0, x, {s.B, s.H}, op, "h0", false);
  if (c0) check_array(*c0, x, {s.B, s.H}, op, "c0", false);
  check_array(h_all, x, {s.T, s.B, s.H}, op, "h_all", true);
  check_array(c_all, x, {s.T, s.B, s.H}, op, "c_all", true);
  check_array(act, x, {s.T, s.B, 4 * s.H}, op, "act", true);
  return s;
}

void lstm_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* bias,
                const ArrayView* h0, const ArrayView* c0, bool reverse, const ArrayView& h_all, const ArrayView& c_all,
                const ArrayView& act, const std::string& kernel) {
  const RnnShape s = check_lstm_layer(x, w_ih, w_hh, bias, h0, c0, h_all, c_all, act, DeviceType::CPU);
  if (x.dtype == DType::Float32)
    forward<float>(s, x, w_ih, w_hh, bias, h0, c0, reverse, h_all, c_all, act, kernel);
  else
    forward<double>(s, x, w_ih, w_hh, bias, h0, c0, reverse, h_all, c_all, act, kernel);
}

RnnShape check_lstm_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                                   const ArrayView* c0, const ArrayView& h_all, const ArrayView& c_all,
                                   const ArrayView& act, const ArrayView* dh_all, const ArrayView* dh_n,
                                   const ArrayView* dc_n, const ArrayView* dx, const ArrayView* dw_ih,
                                   const ArrayView* dw_hh, const ArrayView* dbias, const ArrayView* dh0,
                                   const ArrayView* dc0, DeviceType device) {
  const char* op = "lstm_layer_backward";
  const RnnShape s = rnn_shape(x, w_ih, w_hh, 4, device, op);
  const std::pair<const ArrayView*, const char*> states[] = {{h0, "h0"}, {c0, "c0"}, {dh_n, "dh_n"}, {dc_n, "dc_n"}};
  for (const auto& [v, name] : states)
    if (v) check_array(*v, x, {s.B, s.H}, op, name, false);
  check_array(h_all, x, {s.T, s.B, s.H}, op, "h_all", false);
  check_array(c_all, x, {s.T, s.B, s.H}, op, "c_all", false);
  check_array(act, x, {s.T, s.B, 4 * s.H}, op, "act", false);
  if (dh_all) check_array(*dh_all, x, {s.T, s.B, s.H}, op, "dh_all", false);
  if (dx) check_array(*dx, x, {s.T, s.B, s.I}, op, "dx", true);
  if (dw_ih) check_array(*dw_ih, x, {4 * s.H, s.I}, op, "dw_ih", true);
  if (dw_hh) check_array(*dw_hh, x, {4 * s.H, s.H}, op, "dw_hh", true);
  if (dbias) check_array(*dbias, x, {4 * s.H}, op, "dbias", true);
  if (dh0) check_array(*dh0, x, {s.B, s.H}, op, "dh0", true);
  if (dc0) check_array(*dc0, x, {s.B, s.H}, op, "dc0", true);
  return s;
}

void lstm_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                         const ArrayView* c0, bool reverse, const ArrayView& h_all, const ArrayView& c_all,
                         const ArrayView& act, const ArrayView* dh_all, const ArrayView* dh_n, const ArrayView* dc_n,
                         const ArrayView* dx, const ArrayView* dw_ih, const ArrayView* dw_hh, const ArrayView* dbias,
                         const ArrayView* dh0, const ArrayView* dc0, const std::string& kernel) {
  const RnnShape s = check_lstm_layer_backward(x, w_ih, w_hh, h0, c0, h_all, c_all, act, dh_all, dh_n, dc_n, dx, dw_ih,
                                               dw_hh, dbias, dh0, dc0, DeviceType::CPU);
  if (x.dtype == DType::Float32)
    backward<float>(s, x, w_ih, w_hh, h0, c0, reverse, h_all, c_all, act, dh_all, dh_n, dc_n, dx, dw_ih, dw_hh, dbias,
                    dh0, dc0, kernel);
  else
    backward<double>(s, x, w_ih, w_hh, h0, c0, reverse, h_all, c_all, act, dh_all, dh_n, dc_n, dx, dw_ih, dw_hh, dbias,
                     dh0, dc0, kernel);
}



RnnShape check_gru_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* b_ih,
                         const ArrayView* b_hh, const ArrayView* h0, const ArrayView& h_all, const ArrayView& act,
                         DeviceType device) {
  const char* op = "gru_layer";
  const RnnShape s = rnn_shape(x, w_ih, w_hh, 3, device, op);
  if (b_ih) check_array(*b_ih, x, {3 * s.H}, op, "bias_ih", false);
  if (b_hh) check_array(*b_hh, x, {3 * s.H}, op, "bias_hh", false);
  if (h0) check_array(*h0, x, {s.B, s.H}, op, "h0", false);
  check_array(h_all, x, {s.T, s.B, s.H}, op, "h_all", true);
  check_array(act, x, {s.T, s.B, 4 * s.H}, op, "act", true);
  check_disjoint(act, "act", h_all, "h_all", op);
  return s;
}

void gru_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* b_ih,
               const ArrayView* b_hh, const ArrayView* h0, bool reverse, const ArrayView& h_all, const ArrayView& act,
               const std::string& kernel) {
  const RnnShape s = check_gru_layer(x, w_ih, w_hh, b_ih, b_hh, h0, h_all, act, DeviceType::CPU);
  if (x.dtype == DType::Float32)
    gru_forward<float>(s, x, w_ih, w_hh, b_ih, b_hh, h0, reverse, h_all, act, kernel);
  else
    gru_forward<double>(s, x, w_ih, w_hh, b_ih, b_hh, h0, reverse, h_all, act, kernel);
}

RnnShape check_gru_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                                  const ArrayView& h_all, const ArrayView& act, const ArrayView* dh_all,
                                  const ArrayView* dh_n, const ArrayView* dx, const ArrayView* dw_ih,
                                  const ArrayView* dw_hh, const ArrayView* db_ih, const ArrayView* db_hh,
                                  const ArrayView* dh0, DeviceType device) {
  const char* op = "gru_layer_backward";
  const RnnShape s = rnn_shape(x, w_ih, w_hh, 3, device, op);
  if (h0) check_array(*h0, x, {s.B, s.H}, op, "h0", false);
  if (dh_n) check_array(*dh_n, x, {s.B, s.H}, op, "dh_n", false);
  check_array(h_all, x, {s.T, s.B, s.H}, op, "h_all", false);
  check_array(act, x, {s.T, s.B, 4 * s.H}, op, "act", false);
  if (dh_all) check_array(*dh_all, x, {s.T, s.B, s.H}, op, "dh_all", false);
  if (dx) check_array(*dx, x, {s.T, s.B, s.I}, op, "dx", true);
  if (dw_ih) check_array(*dw_ih, x, {3 * s.H, s.I}, op, "dw_ih", true);
  if (dw_hh) check_array(*dw_hh, x, {3 * s.H, s.H}, op, "dw_hh", true);
  if (db_ih) check_array(*db_ih, x, {3 * s.H}, op, "db_ih", true);
  if (db_hh) check_array(*db_hh, x, {3 * s.H}, op, "db_hh", true);
  if (dh0) check_array(*dh0, x, {s.B, s.H}, op, "dh0", true);
  return s;
}

void gru_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                        bool reverse, const ArrayView& h_all, const ArrayView& act, const ArrayView* dh_all,
                        const ArrayView* dh_n, const ArrayView* dx, const ArrayView* dw_ih, const ArrayView* dw_hh,
                        const ArrayView* db_ih, const ArrayView* db_hh, const ArrayView* dh0,
                        const std::string& kernel) {
  const RnnShape s = check_gru_layer_backward(x, w_ih, w_hh, h0, h_all, act, dh_all, dh_n, dx, dw_ih, dw_hh, db_ih,
                                              db_hh, dh0, DeviceType::CPU);
  if (x.dtype == DType::Float32)
    gru_backward<float>(s, x, w_ih, w_hh, h0, reverse, h_all, act, dh_all, dh_n, dx, dw_ih, dw_hh, db_ih, db_hh, dh0,
                        kernel);
  else
    gru_backward<double>(s, x, w_ih, w_hh, h0, reverse, h_all, act, dh_all, dh_n, dx, dw_ih, dw_hh, db_ih, db_hh, dh0,
                         kernel);
}

}  // namespace fastnn
