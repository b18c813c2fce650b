// softmax.cpp — softmax / log_softmax (forward, backward) and cross-entropy over rows, from the row
// primitives of cpu/softmax.h (float32) or their scalar float64 versions below. Rows are split across
// threads in chunks of ~16K elements; the loss's sum is reduced per chunk, then over chunks in order
// (deterministic for a thread count).
// bench: fastnn-bench --filter softmax
#include "ops/softmax.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "core/workspace.h"
#include "cpu/softmax.h"

namespace fastnn {
namespace {

template <class T>
struct Rows;

template <>
struct Rows<float> {
  const SoftmaxKernels* k;
  float max(const float* x, int64_t n) const { return k->row_max(x, n); }
  float exp_sum(const float* x, float shift, float* y, int64_t n) const { return k->exp_sum(x, shift, y, n); }
};

template <>
struct Rows<double> {
  double max(const double* x, int64_t n) const {
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < n; ++i) m = x[i] > m || x[i] != x[i] ? x[i] : m;
    return m;
  }
  double exp_sum(const double* x, double shift, double* y, int64_t n) const {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double e = std::exp(x[i] - shift);
      if (y) y[i] = e;
      s += e;
    }
    return s;
  }
};

// Sums with eight partial sums: one running sum is a chain of dependent adds; eight vectorize.
template <class T>
T dot8(const T* a, const T* b, int64_t n) {
  T part[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int u = 0; u < 8; ++u) part[u] += b ? a[i + u] * b[i + u] : a[i + u];
  T s = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
  for (; i < n; ++i) s += b ? a[i] * b[i] : a[i];
  return s;
}

template <class T>
T* row_buffer(int64_t n) {
  return thread_scratch<T>(Scratch::SoftmaxRow, n);
}

using Layout = SoftmaxLayout;

Layout layout_of(const ArrayView& x, int64_t dim, const char* op) {
  const int64_t nd = int64_t(x.shape.size()), lim = std::max<int64_t>(nd, 1);
  if (dim < -lim || dim >= lim)
    fail(ErrorKind::Index, op, ": dimension out of range (expected to be in range of [", -lim, ", ", lim - 1,
         "], but got ", dim, ")");
  if (dim < 0) dim += lim;
  Layout l{1, 1, 1};
  for (int64_t d = 0; d < nd; ++d) (d < dim ? l.outer : d == dim ? l.D : l.inner) *= x.shape[size_t(d)];
  return l;
}

int64_t rows_per_chunk(int64_t D) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1)); }

template <class T>
void forward_rows(const Rows<T>& r, const T* x, T* y, int64_t rows, int64_t D, bool log) {
  parallel_for(rows, rows_per_chunk(D), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const T* xr = x + row * D;
      T* yr = y + row * D;
      const T m = r.max(xr, D);
      if (log) {
        const T lse = m + std::log(r.exp_sum(xr, m, nullptr, D));
        for (int64_t j = 0; j < D; ++j) yr[j] = xr[j] - lse;
      } else {
        const T inv = T(1) / r.exp_sum(xr, m, yr, D);
        for (int64_t j = 0; j < D; ++j) yr[j] *= inv;
      }
    }
  });
}

template <class T>
void backward_rows(const Rows<T>& r, const T* gy, const T* y, T* gx, int64_t rows, int64_t D, bool log) {
  parallel_for(rows, rows_per_chunk(D), [&](int64_t b, int64_t e) {
    T* ey = log ? row_buffer<T>(D) : nullptr;
    for (int64_t row = b; row < e; ++row) {
      const T* g = gy + row * D;
      const T* yr = y + row * D;
      T* d = gx + row * D;
      if (log) {  // gx = gy - exp(y) * sum(gy); exp(y) in a buffer: gx may be gy
        const T s = dot8<T>(g, nullptr, D);
        r.exp_sum(yr, T(0), ey, D);
        for (int64_t j = 0; j < D; ++j) d[j] = g[j] - ey[j] * s;
      } else {
        const T s = dot8<T>(g, yr, D);
        for (int64_t j = 0; j < D; ++j) d[j] = yr[j] * (g[j] - s);
      }
    }
  });
}

// Softmax along a dimension that is not the last: for each outer index, the D planes of `inner`
// positions are walked plane by plane (contiguous inner loops), keeping inner running maxima and sums.
template <class T>
void forward_cols(const T* x, T* y, const Layout& l, bool log) {
  parallel_for(l.outer, 1, [&](int64_t b, int64_t e) {
    std::vector<T> m(size_t(l.inner)), s(size_t(l.inner));
    for (int64_t o = b; o < e; ++o) {
      const T* xo = x + o * l.D * l.inner;
      T* yo = y + o * l.D * l.inner;
      std::fill(m.begin(), m.end(), -std::numeric_limits<T>::infinity());
      std::fill(s.begin(), s.end(), T(0));
      for (int64_t d = 0; d < l.D; ++d)
        for (int64_t i = 0; i < l.inner; ++i) {
          const T v = xo[d * l.inner + i];
          m[size_t(i)] = v > m[size_t(i)] || v != v ? v : m[size_t(i)];
        }
      for (int64_t d = 0; d < l.D; ++d)
        for (int64_t i = 0; i < l.inner; ++i) {
          const T ev = std::exp(xo[d * l.inner + i] - m[size_t(i)]);
          if (!log) yo[d * l.inner + i] = ev;
          s[size_t(i)] += ev;
        }
      for (int64_t i = 0; i < l.inner; ++i) s[size_t(i)] = log ? m[size_t(i)] + std::log(s[size_t(i)]) : T(1) / s[size_t(i)];
      for (int64_t d = 0; d < l.D; ++d)
        for (int64_t i = 0; i < l.inner; ++i) {
          T& out = yo[d * l.inner + i];
          out = log ? xo[d * l.inner + i] - s[size_t(i)] : out * s[size_t(i)];
        }
    }
  });
}

template <class T>
void backward_cols(const T* gy, const T* y, T* gx, const Layout& l, bool log) {
  parallel_for(l.outer, 1, [&](int64_t b, int64_t e) {
    std::vector<T> s(size_t(l.inner));
    for (int64_t o = b; o < e; ++o) {
      const int64_t off = o * l.D * l.inner;
      std::fill(s.begin(), s.end(), T(0));
      for (int64_t d = 0; d < l.D; ++d)
        for (int64_t i = 0; i < l.inner; ++i) {
          const int64_t k = off + d * l.inner + i;
          s[size_t(i)] += log ? gy[k] : gy[k] * y[k];
        }
      for (int64_t d = 0; d < l.D; ++d)
        for (int64_t i = 0; i < l.inner; ++i) {
          const int64_t k = off + d * l.inner + i;
          gx[k] = log ? gy[k] - std::exp(y[k]) * s[size_t(i)] : y[k] * (gy[k] - s[size_t(i)]);
        }
    }
  });
}

const SoftmaxKernels* pick_rows(const std::string& kernel, DType dtype, const char* op) {
  if (dtype == DType::Float64) {
    if (!kernel.empty()) fail(ErrorKind::Value, op, ": kernel= selects a float32 variant, but the arrays are float64");
    return nullptr;
  }
  return &pick_kernel(softmax_f32_kernels(), "softmax_f32", kernel, op).fn;
}

template <class T>
void softmax_typed(const ArrayView& x, const ArrayView& y, const Layout& l, bool log, const SoftmaxKernels* k) {
  if (l.inner == 1) {
    if constexpr (std::is_same_v<T, float>) forward_rows(Rows<float>{k}, x.as<const float>(), y.as<float>(), l.outer, l.D, log);
    else forward_rows(Rows<double>{}, x.as<const double>(), y.as<double>(), l.outer, l.D, log);
  } else {
    forward_cols(x.as<const T>(), y.as<T>(), l, log);
  }
}

template <class T>
void softmax_backward_typed(const ArrayView& gy, const ArrayView& y, const ArrayView& gx, const Layout& l, bool log,
                            const SoftmaxKernels* k) {
  if (l.inner == 1) {
    if constexpr (std::is_same_v<T, float>)
      backward_rows(Rows<float>{k}, gy.as<const float>(), y.as<const float>(), gx.as<float>(), l.outer, l.D, log);
    else
      backward_rows(Rows<double>{}, gy.as<const double>(), y.as<const double>(), gx.as<double>(), l.outer, l.D, log);
  } else {
    backward_cols(gy.as<const T>(), y.as<const T>(), gx.as<T>(), l, log);
  }
}

// ---- cross-entropy ----

template <class T>
struct CeArgs : CrossEntropyRows<T> {
  double norm;  // mean: the total weight of the rows kept (class probabilities: N); else 1
};

// Row i's loss (before the reduction's normalisation) and, if asked, its gradient row.
template <class T>
double ce_row(const Rows<T>& r, const CeArgs<T>& a, int64_t i) {
  const T* x = a.x + i * a.C;
  T* g = a.grad ? a.grad + i * a.C : nullptr;
  const int64_t t = a.target[i];
  if (t == a.p.ignore_index) {
    if (g) std::fill(g, g + a.C, T(0));
    return 0.0;
  }
  const T eps = T(a.p.label_smoothing), wt = a.weight ? a.weight[t] : T(1);
  const T m = r.max(x, a.C);
  const T s = r.exp_sum(x, m, g, a.C);  // g holds exp(x - m) for now
  const T lse = m + std::log(s);
  double loss = -double(wt) * double(x[t] - lse);
  T wsum = T(a.C);
  if (eps != T(0)) {
    wsum = a.weight ? dot8<T>(a.weight, nullptr, a.C) : T(a.C);
    const T wx = dot8<T>(x, a.weight, a.C);  // sum_j w_j x_j
    const double smooth = -(double(wx) - double(lse) * double(wsum));
    loss = (1.0 - double(eps)) * loss + double(eps) / double(a.C) * smooth;
  }
  if (g) {
    // dx_j = scale * (p_j * (a) - (1 - eps) w_t [j == t] - (eps / C) w_j), p_j = g_j / s
    const T scale = upstream_scale(a, i);
    const T coef = scale * ((T(1) - eps) * wt + eps / T(a.C) * wsum) / s;
    const T smooth = scale * eps / T(a.C);
    for (int64_t j = 0; j < a.C; ++j) g[j] = g[j] * coef - smooth * (a.weight ? a.weight[j] : T(1));
    g[t] -= scale * (T(1) - eps) * wt;
  }
  return loss;
}

template <class T>
T upstream_scale(const CeArgs<T>& a, int64_t i) {
  const T up = a.grad_output ? (a.p.reduction == Reduction::None ? a.grad_output[i] : a.grad_output[0]) : T(1);
  return T(double(up) / a.norm);
}

// nll_loss: loss -w_t x_t; gradient -w_t at t (the rest of the gradient was zeroed before: one memset
// over the whole array is ~4x faster than a fill per short row).
template <class T>
double nll_row(const CeArgs<T>& a, int64_t i) {
  T* g = a.grad ? a.grad + i * a.C : nullptr;
  const int64_t t = a.target[i];
  if (t == a.p.ignore_index) return 0.0;
  const T wt = a.weight ? a.weight[t] : T(1);
  if (g) g[t] = -upstream_scale(a, i) * wt;
  return -double(wt) * double(a.x[i * a.C + t]);
}

// Class probabilities y (smoothed: y' = (1 - eps) y + eps / C): loss = sum_j w_j y'_j (lse - x_j)
// = lse * Sw - Swx; gradient scale * (p_j Sw - w_j y'_j), p_j = exp(x_j - lse).
template <class T>
double probs_row(const Rows<T>& r, const CeArgs<T>& a, int64_t i) {
  const T* x = a.x + i * a.C;
  const T* y = a.probs + i * a.C;
  T* g = a.grad ? a.grad + i * a.C : nullptr;
  const T eps = T(a.p.label_smoothing), keep = T(1) - eps, spread = eps / T(a.C);
  const T m = r.max(x, a.C);
  const T s = r.exp_sum(x, m, g, a.C);  // g holds exp(x - m) for now
  const T lse = m + std::log(s);
  double sw = 0, swx = 0;
  for (int64_t j = 0; j < a.C; ++j) {
    const double wy = double(a.weight ? a.weight[j] : T(1)) * double(y[j] * keep + spread);
    sw += wy;
    swx += wy * double(x[j]);
  }
  if (g) {
    const T scale = upstream_scale(a, i);
    const T coef = scale * T(sw) / s;
    for (int64_t j = 0; j < a.C; ++j) g[j] = g[j] * coef - scale * (a.weight ? a.weight[j] : T(1)) * (y[j] * keep + spread);
  }
  return double(lse) * sw - swx;
}

template <class T>
void cross_entropy_typed(const Rows<T>& r, CeArgs<T> a, T* loss_out) {
  if (a.p.form == CeForm::Probs) {
    a.norm = a.p.reduction == Reduction::Mean ? double(a.N) : 1.0;
  } else {  // torch's checks, before any work: every kept target is a class index
    double wkept = 0;
    for (int64_t i = 0; i < a.N; ++i) {
      const int64_t t = a.target[i];
      if (t == a.p.ignore_index) continue;
      if (t < 0 || t >= a.C)
        fail(ErrorKind::Index, a.p.form == CeForm::Nll ? "nll_loss" : "cross_entropy", ": Target ", t, " is out of bounds.");
      wkept += a.weight ? double(a.weight[t]) : 1.0;
    }
    a.norm = a.p.reduction == Reduction::Mean ? wkept : 1.0;
  }
  if (a.p.form == CeForm::Nll && a.grad)
    parallel_for(a.N * a.C, 1 << 16, [&](int64_t b, int64_t e) {
      std::memset(a.grad + b, 0, size_t(e - b) * sizeof(T));
    });
  const int64_t grain = rows_per_chunk(a.C), chunks = (a.N + grain - 1) / grain;
  std::vector<double> parts(size_t(std::max<int64_t>(chunks, 1)), 0.0);
  parallel_for(a.N, grain, [&](int64_t b, int64_t e) {
    double sum = 0;
    for (int64_t i = b; i < e; ++i) {
      const double l = a.p.form == CeForm::Indices ? ce_row(r, a, i) : a.p.form == CeForm::Nll ? nll_row(a, i)
                                                                                             : probs_row(r, a, i);
      if (a.loss_rows) a.loss_rows[i] = T(l);
      sum += l;
    }
    parts[size_t(b / grain)] = sum;
  });
  if (a.p.reduction != Reduction::None) {
    double total = 0;
    for (double v : parts) total += v;
    loss_out[0] = T(total / a.norm);  // mean over no kept rows: 0 / 0 = NaN, as torch
  }
}

}  // namespace

SoftmaxLayout check_softmax(const ArrayView& x, const ArrayView& y, int64_t dim, bool log, DeviceType device) {
  const char* op = log ? "log_softmax" : "softmax";
  check_elementwise(x, "input", y, "out", op, device);
  return layout_of(x, dim, op);
}

SoftmaxLayout check_softmax_backward(const ArrayView& gy, const ArrayView& y, const ArrayView& gx, int64_t dim,
                                     bool log, DeviceType device) {
  const char* op = log ? "log_softmax_backward" : "softmax_backward";
  check_elementwise(gy, "grad_output", gx, "out", op, device);
  check_contiguous_on(y, device, op, "output");
  check_same_device(gy, "grad_output", y, "output", op);
  check_same_shape_dtype(gy, "grad_output", y, "output", op);
  check_disjoint(gx, "out", y, "output", op);
  return layout_of(gy, dim, op);
}

void softmax(const ArrayView& x, const ArrayView& y, int64_t dim, bool log, const std::string& kernel) {
  const Layout l = check_softmax(x, y, dim, log, DeviceType::CPU);
  const SoftmaxKernels* k = pick_rows(kernel, x.dtype, log ? "log_softmax" : "softmax");
  if (x.numel() == 0) return;
  if (x.dtype == DType::Float32) softmax_typed<float>(x, y, l, log, k);
  else softmax_typed<double>(x, y, l, log, k);
}

void softmax_backward(const ArrayView& gy, const ArrayView& y, const ArrayView& gx, int64_t dim, bool log,
                      const std::string& kernel) {
  const Layout l = check_softmax_backward(gy, y, gx, dim, log, DeviceType::CPU);
  const SoftmaxKernels* k = pick_rows(kernel, gy.dtype, log ? "log_softmax_backward" : "softmax_backward");
  if (gy.numel() == 0) return;
  if (gy.dtype == DType::Float32) softmax_backward_typed<float>(gy, y, gx, l, log, k);
  else softmax_backward_typed<double>(gy, y, gx, l, log, k);
}

void check_cross_entropy(const ArrayView& x, const int64_t* target, const ArrayView* probs, const ArrayView* weight,
                         const ArrayView& loss, const ArrayView* grad, const ArrayView* grad_output,
                         const CrossEntropyParams& p, DeviceType device) {
  const char* op = p.form == CeForm::Nll ? "nll_loss" : "cross_entropy";
  check_contiguous_on(x, device, op, "input");
  if (x.shape.size() != 2) fail(ErrorKind::Runtime, op, ": input must be 2-d (N, C), got ", x.describe());
  const int64_t N = x.shape[0], C = x.shape[1];
  if (C == 0 && N > 0) fail(ErrorKind::Runtime, op, ": input has no classes (", x.describe(), ")");
  if (!(p.label_smoothing >= 0.0 && p.label_smoothing <= 1.0))
    fail(ErrorKind::Runtime, op, ": label_smoothing must be between 0.0 and 1.0. Got: ", p.label_smoothing);
  if (p.form == CeForm::Nll && p.label_smoothing != 0.0) fail(ErrorKind::Value, op, ": no label smoothing");
  if (p.form == CeForm::Probs) {
    if (!probs) fail(ErrorKind::Value, op, ": the class probabilities are missing");
    check_contiguous_on(*probs, device, op, "target");
    check_same_device(x, "input", *probs, "target", op);
    check_same_shape_dtype(x, "input", *probs, "target", op);
  } else if (N > 0 && !target) {
    fail(ErrorKind::Value, op, ": target is null");
  }
  auto check_vec = [&](const ArrayView& v, int64_t n, const char* arg) {
    check_contiguous_on(v, device, op, arg);
    check_same_device(x, "input", v, arg, op);
    if (v.dtype != x.dtype) fail(ErrorKind::Type, op, ": '", arg, "' has dtype ", dtype_name(v.dtype), ", expected ", dtype_name(x.dtype));
    if (v.numel() != n) fail(ErrorKind::Runtime, op, ": '", arg, "' must have ", n, " elements, got ", v.describe());
  };
  if (weight) check_vec(*weight, C, "weight");
  check_vec(loss, p.reduction == Reduction::None ? N : 1, "loss");
  check_writable(loss, op, "loss");
  check_disjoint(loss, "loss", x, "input", op);
  if (grad) {
    check_contiguous_on(*grad, device, op, "grad");
    check_same_device(x, "input", *grad, "grad", op);
    check_same_shape_dtype(x, "input", *grad, "grad", op);
    check_writable(*grad, op, "grad");
    check_disjoint(*grad, "grad", x, "input", op);
    check_disjoint(*grad, "grad", loss, "loss", op);
  }
  if (grad_output) check_vec(*grad_output, p.reduction == Reduction::None ? N : 1, "grad_output");
}

void cross_entropy(const ArrayView& x, const int64_t* target, const ArrayView* probs, const ArrayView* weight,
                   const ArrayView& loss, const ArrayView* grad, const ArrayView* grad_output,
                   const CrossEntropyParams& p, const std::string& kernel) {
  const char* op = "cross_entropy";
  check_cross_entropy(x, target, probs, weight, loss, grad, grad_output, p, DeviceType::CPU);
  const SoftmaxKernels* k = pick_rows(kernel, x.dtype, op);
  if (x.dtype == DType::Float32)
    cross_entropy_typed(Rows<float>{k},
                        CeArgs<float>{cross_entropy_rows<float>(x, target, probs, weight, loss, grad, grad_output, p), 1.0},
                        loss.as<float>());
  else
    cross_entropy_typed(Rows<double>{},
                        CeArgs<double>{cross_entropy_rows<double>(x, target, probs, weight, loss, grad, grad_output, p), 1.0},
                        loss.as<double>());
}

}  // namespace fastnn
