// norm.cpp — batch and layer normalization: checks, the kernel choice, the work split across threads.
// Batch norm on (N, C, L > 1): channels' statistics in parallel (one channel per unit, its N runs of L in
// order), the elementwise passes over (image, channel) runs. On (N, C): rows of C (one thread: such inputs
// are small). Layer norm: rows in parallel; weight/bias gradients summed per fixed block of rows, the
// blocks added in order. Every result is independent of the thread count.
// bench: fastnn-bench --filter norm
#include "ops/norm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/norm.h"

namespace fastnn {
namespace {

template <class E>
const NormKernelsT<E>& kernels_for(const std::string& kernel, const char* op);
template <>
const NormKernelsT<float>& kernels_for<float>(const std::string& kernel, const char* op) {
  return pick_kernel(norm_f32_kernels(), "norm_f32", kernel, op).fn;
}
template <>
const NormKernelsT<double>& kernels_for<double>(const std::string&, const char*) {
  return norm_f64();
}

void check_array(const ArrayView& a, const ArrayView& like, int64_t numel, const char* op, const char* arg,
                 bool written) {
  check_contiguous_on(a, like.device, op, arg);
  check_same_device(a, arg, like, "input", op);
  if (a.dtype != like.dtype)
    fail(ErrorKind::Type, op, ": '", arg, "' has dtype ", dtype_name(a.dtype), " but input has ", dtype_name(like.dtype));
  if (a.numel() != numel) fail(ErrorKind::Runtime, op, ": '", arg, "' must have ", numel, " elements, got ", a.describe());
  if (written) {
    check_writable(a, op, arg);
    check_disjoint(a, arg, like, "input", op);
  }
}

BnShape bn_shape(const ArrayView& x, DeviceType device, const char* op) {
  check_contiguous_on(x, device, op, "input");
  if (x.shape.size() < 2) fail(ErrorKind::Value, op, ": expected an input of at least 2 dims (N, C, ...), got ", x.describe());
  BnShape s{x.shape[0], x.shape[1], 1};
  for (size_t i = 2; i < x.shape.size(); ++i) s.L *= x.shape[i];
  return s;
}

template <class E>
const E* cptr(const ArrayView* v) { return v ? v->as<const E>() : nullptr; }

// y = (x - m[c]) a[c] + b[c] over the (image, channel) runs, or the rows of C
template <class E>
void bn_affine(const NormKernelsT<E>& K, const BnShape& s, const E* x, E* y, const E* m, const E* a, const E* b) {
  if (s.L == 1) {
    parallel_for(s.N, 256, [&](int64_t r0, int64_t r1) {
      K.affine_rows(x + r0 * s.C, y + r0 * s.C, r1 - r0, s.C, m, a, b);
    });
    return;
  }
  parallel_for(s.N * s.C, std::max<int64_t>(1, 16384 / s.L), [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) K.affine(x + u * s.L, y + u * s.L, s.L, m[u % s.C], a[u % s.C], b[u % s.C]);
  });
}

template <class E>
void bn_forward(const BnShape& s, const ArrayView& xv, const ArrayView* wv, const ArrayView* bv, const ArrayView* rmv,
                const ArrayView* rvv, bool training, double factor, double eps, const ArrayView& yv,
                const ArrayView& smv, const ArrayView& siv, const std::string& kernel) {
  const NormKernelsT<E>& K = kernels_for<E>(kernel, "batch_norm");
  const E* x = xv.as<const E>();
  const int64_t M = s.N * s.L;
  std::vector<double> mean(size_t(s.C)), var(size_t(s.C));
  if (training) {
    std::vector<double> s1(size_t(s.C), 0.0), s2(size_t(s.C), 0.0);
    std::vector<E> k(size_t(s.C), E(0));
    if (M > 0) {
      if (s.L == 1) {
        for (int64_t c = 0; c < s.C; ++c) k[size_t(c)] = x[c];
        K.stats_rows(x, s.N, s.C, k.data(), s1.data(), s2.data());
      } else {
        parallel_for(s.C, 1, [&](int64_t c0, int64_t c1) {
          for (int64_t c = c0; c < c1; ++c) {
            k[size_t(c)] = x[c * s.L];
            for (int64_t n = 0; n < s.N; ++n) K.stats(x + (n * s.C + c) * s.L, s.L, k[size_t(c)], &s1[size_t(c)], &s2[size_t(c)]);
          }
        });
      }
    }
    for (int64_t c = 0; c < s.C; ++c) {
      const double m1 = s1[size_t(c)] / double(M);
      mean[size_t(c)] = double(k[size_t(c)]) + m1;
      var[size_t(c)] = std::max(0.0, s2[size_t(c)] / double(M) - m1 * m1);
    }
    if (rmv) {
      E* rm = rmv->as<E>();
      for (int64_t c = 0; c < s.C; ++c) rm[c] = E((1 - factor) * double(rm[c]) + factor * mean[size_t(c)]);
    }
    if (rvv) {
      E* rv = rvv->as<E>();
      const double unbias = M > 1 ? double(M) / double(M - 1) : std::numeric_limits<double>::quiet_NaN();
      for (int64_t c = 0; c < s.C; ++c) rv[c] = E((1 - factor) * double(rv[c]) + factor * var[size_t(c)] * unbias);
    }
  } else {
    for (int64_t c = 0; c < s.C; ++c) {
      mean[size_t(c)] = double(rmv->as<const E>()[c]);
      var[size_t(c)] = double(rvv->as<const E>()[c]);
    }
  }
  const E *w = cptr<E>(wv), *b = cptr<E>(bv);
  E *sm = smv.as<E>(), *si = siv.as<E>();
  std::vector<E> a(size_t(s.C)), sh(size_t(s.C)), mu(size_t(s.C));
  for (int64_t c = 0; c < s.C; ++c) {
    const double invstd = 1.0 / std::sqrt(var[size_t(c)] + eps);
    sm[c] = mu[size_t(c)] = E(mean[size_t(c)]);
    si[c] = E(invstd);
    a[size_t(c)] = E((w ? double(w[c]) : 1.0) * invstd);
    sh[size_t(c)] = E(b ? double(b[c]) : 0.0);
  }
  bn_affine(K, s, x, yv.as<E>(), mu.data(), a.data(), sh.data());
}

template <class E>
void bn_backward(const BnShape& s, const ArrayView& gyv, const ArrayView& xv, const ArrayView* wv, const ArrayView& smv,
                 const ArrayView& siv, bool training, const ArrayView* gxv, const ArrayView* gwv, const ArrayView* gbv,
                 const std::string& kernel) {
  const NormKernelsT<E>& K = kernels_for<E>(kernel, "batch_norm_backward");
  const E *gy = gyv.as<const E>(), *x = xv.as<const E>(), *sm = smv.as<const E>(), *si = siv.as<const E>();
  const E* w = cptr<E>(wv);
  const int64_t M = s.N * s.L;
  std::vector<double> sg(size_t(s.C), 0.0), sgx(size_t(s.C), 0.0);
  const bool need_sums = gwv || gbv || (gxv && training);
  if (need_sums && M > 0) {
    if (s.L == 1) {
      K.grad_sums_rows(gy, x, s.N, s.C, sm, sg.data(), sgx.data());
    } else {
      parallel_for(s.C, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c)
          for (int64_t n = 0; n < s.N; ++n)
            K.grad_sums(gy + (n * s.C + c) * s.L, x + (n * s.C + c) * s.L, s.L, sm[c], &sg[size_t(c)], &sgx[size_t(c)]);
      });
    }
  }
  if (gbv)
    for (int64_t c = 0; c < s.C; ++c) gbv->as<E>()[c] = E(sg[size_t(c)]);
  if (gwv)
    for (int64_t c = 0; c < s.C; ++c) gwv->as<E>()[c] = E(sgx[size_t(c)] * double(si[c]));
  if (!gxv) return;
  std::vector<E> k1(size_t(s.C)), k2(size_t(s.C)), k3(size_t(s.C));
  for (int64_t c = 0; c < s.C; ++c) {
    const double invstd = double(si[c]), a = (w ? double(w[c]) : 1.0) * invstd;
    k1[size_t(c)] = E(a);
    if (training && M > 0) {
      k2[size_t(c)] = E(-a * invstd * invstd * sgx[size_t(c)] / double(M));
      k3[size_t(c)] = E(-a * sg[size_t(c)] / double(M));
    } else {
      k2[size_t(c)] = k3[size_t(c)] = E(0);
    }
  }
  E* gx = gxv->as<E>();
  if (s.L == 1) {
    parallel_for(s.N, 256, [&](int64_t r0, int64_t r1) {
      K.lincomb_rows(gy + r0 * s.C, x + r0 * s.C, gx + r0 * s.C, r1 - r0, s.C, sm, k1.data(), k2.data(), k3.data());
    });
    return;
  }
  parallel_for(s.N * s.C, std::max<int64_t>(1, 16384 / s.L), [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t c = u % s.C;
      K.lincomb(gy + u * s.L, x + u * s.L, gx + u * s.L, s.L, sm[c], k1[size_t(c)], k2[size_t(c)], k3[size_t(c)]);
    }
  });
}

constexpr int64_t kLnBlock = 32;  // rows per partial sum of the weight / bias gradients

template <class E>
void ln_forward(int64_t M, int64_t d, const ArrayView& xv, const ArrayView* wv, const ArrayView* bv, double eps,
                const ArrayView& yv, const ArrayView& mv, const ArrayView& rv, const std::string& kernel) {
  const NormKernelsT<E>& K = kernels_for<E>(kernel, "layer_norm");
  const E *x = xv.as<const E>(), *w = cptr<E>(wv), *b = cptr<E>(bv);
  E *y = yv.as<E>(), *mean = mv.as<E>(), *rstd = rv.as<E>();
  parallel_for(M, std::max<int64_t>(1, 8192 / std::max<int64_t>(d, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const E* xr = x + r * d;
      double s1 = 0, s2 = 0;
      const E k = d > 0 ? xr[0] : E(0);
      K.stats(xr, d, k, &s1, &s2);
      const double m1 = d > 0 ? s1 / double(d) : std::numeric_limits<double>::quiet_NaN();
      const double var = std::max(0.0, s2 / double(d) - m1 * m1);
      const double mu = double(k) + m1, rs = 1.0 / std::sqrt(var + eps);
      mean[r] = E(mu);
      rstd[r] = E(rs);
      K.ln_forward(xr, y + r * d, d, E(mu), E(rs), w, b);
    }
  });
}

template <class E>
void ln_backward(int64_t M, int64_t d, const ArrayView& gyv, const ArrayView& xv, const ArrayView* wv,
                 const ArrayView& mv, const ArrayView& rv, const ArrayView* gxv, const ArrayView* gwv,
                 const ArrayView* gbv, const std::string& kernel) {
  const NormKernelsT<E>& K = kernels_for<E>(kernel, "layer_norm_backward");
  const E *gy = gyv.as<const E>(), *x = xv.as<const E>(), *w = cptr<E>(wv), *mean = mv.as<const E>(),
          *rstd = rv.as<const E>();
  E* gx = gxv ? gxv->as<E>() : nullptr;
  const int64_t blocks = (M + kLnBlock - 1) / kLnBlock;
  std::vector<E> pw(gwv ? size_t(blocks * d) : 0, E(0)), pb(gbv ? size_t(blocks * d) : 0, E(0));
  parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t r0 = blk * kLnBlock, r1 = std::min(M, (blk + 1) * kLnBlock);
      if (gx)
        for (int64_t r = r0; r < r1; ++r) K.ln_backward(gy + r * d, x + r * d, gx + r * d, d, mean[r], rstd[r], w);
      if (gwv || gbv)  // the block's rows are still in cache
        K.ln_param_grads(gy + r0 * d, x + r0 * d, r1 - r0, d, mean + r0, rstd + r0,
                         gwv ? pw.data() + blk * d : nullptr, gbv ? pb.data() + blk * d : nullptr);
    }
  });
  const std::pair<const ArrayView*, std::vector<E>*> outs[] = {{gwv, &pw}, {gbv, &pb}};
  for (const auto& [out, parts] : outs) {
    if (!out) continue;
    E* o = out->template as<E>();
    parallel_for(d, 4096, [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j) {
        double acc = 0;
        for (int64_t blk = 0; blk < blocks; ++blk) acc += double((*parts)[size_t(blk * d + j)]);
        o[j] = E(acc);
      }
    });
  }
}

}  // namespace

BnShape check_batch_norm(const ArrayView& x, const ArrayView* weight, const ArrayView* bias,
                         const ArrayView* running_mean, const ArrayView* running_var, bool training, double eps,
                         const ArrayView& y, const ArrayView& save_mean, const ArrayView& save_invstd,
                         DeviceType device) {
  const char* op = "batch_norm";
  const BnShape s = bn_shape(x, device, op);
  if (!(eps >= 0)) fail(ErrorKind::Value, op, ": eps must be >= 0, got ", eps);
  if (!training && !(running_mean && running_var))
    fail(ErrorKind::Runtime, op, ": running_mean and running_var must be given in evaluation mode");
  const std::pair<const ArrayView*, const char*> params[] = {{weight, "weight"}, {bias, "bias"}};
  for (const auto& [v, name] : params)
    if (v) check_array(*v, x, s.C, op, name, false);
  if (running_mean) check_array(*running_mean, x, s.C, op, "running_mean", training);
  if (running_var) check_array(*running_var, x, s.C, op, "running_var", training);
  check_array(y, x, x.numel(), op, "out", true);
  if (y.shape != x.shape) fail(ErrorKind::Runtime, op, ": 'out' has the wrong shape: ", y.describe());
  check_array(save_mean, x, s.C, op, "save_mean", true);
  check_array(save_invstd, x, s.C, op, "save_invstd", true);
  return s;
}

void batch_norm(const ArrayView& x, const ArrayView* weight, const ArrayView* bias, const ArrayView* running_mean,
                const ArrayView* running_var, bool training, double factor, double eps, const ArrayView& y,
                const ArrayView& save_mean, const ArrayView& save_invstd, const std::string& kernel) {
  const BnShape s = check_batch_norm(x, weight, bias, running_mean, running_var, training, eps, y, save_mean,
                                     save_invstd, DeviceType::CPU);
  if (x.dtype == DType::Float32)
    bn_forward<float>(s, x, weight, bias, running_mean, running_var, training, factor, eps, y, save_mean, save_invstd, kernel);
  else
    bn_forward<double>(s, x, weight, bias, running_mean, running_var, training, factor, eps, y, save_mean, save_invstd, kernel);
}

BnShape check_batch_norm_backward(const ArrayView& gy, const ArrayView& x, const ArrayView* weight,
                                  const ArrayView& save_mean, const ArrayView& save_invstd, const ArrayView* gx,
                                  const ArrayView* gw, const ArrayView* gb, DeviceType device) {
  const char* op = "batch_norm_backward";
  const BnShape s = bn_shape(x, device, op);
  check_array(gy, x, x.numel(), op, "grad_output", false);
  if (gy.shape != x.shape) fail(ErrorKind::Runtime, op, ": 'grad_output' has the wrong shape: ", gy.describe());
  if (weight) check_array(*weight, x, s.C, op, "weight", false);
  check_array(save_mean, x, s.C, op, "save_mean", false);
  check_array(save_invstd, x, s.C, op, "save_invstd", false);
  if (gx) {
    check_array(*gx, x, x.numel(), op, "grad_input", true);
    check_disjoint(*gx, "grad_input", gy, "grad_output", op);
  }
  if (gw) check_array(*gw, x, s.C, op, "grad_weight", true);
  if (gb) check_array(*gb, x, s.C, op, "grad_bias", true);
  return s;
}

void batch_norm_backward(const ArrayView& gy, const ArrayView& x, const ArrayView* weight, const ArrayView& save_mean,
                         const ArrayView& save_invstd, bool training, const ArrayView* gx, const ArrayView* gw,
                         const ArrayView* gb, const std::string& kernel) {
  const BnShape s = check_batch_norm_backward(gy, x, weight, save_mean, save_invstd, gx, gw, gb, DeviceType::CPU);
  if (x.dtype == DType::Float32)
    bn_backward<float>(s, gy, x, weight, save_mean, save_invstd, training, gx, gw, gb, kernel);
  else
    bn_backward<double>(s, gy, x, weight, save_mean, save_invstd, training, gx, gw, gb, kernel);
}

int64_t check_layer_norm(const ArrayView& x, int64_t d, const ArrayView* weight, const ArrayView* bias, double eps,
                         const ArrayView& y, const ArrayView& mean, const ArrayView& rstd, DeviceType device) {
  const char* op = "layer_norm";
  check_contiguous_on(x, device, op, "input");
  if (d <= 0 || x.numel() % d != 0)
    fail(ErrorKind::Runtime, op, ": normalized size ", d, " does not divide the input ", x.describe());
  if (!(eps >= 0)) fail(ErrorKind::Value, op, ": eps must be >= 0, got ", eps);
  const int64_t M = x.numel() / d;
  if (weight) check_array(*weight, x, d, op, "weight", false);
  if (bias) check_array(*bias, x, d, op, "bias", false);
  check_array(y, x, x.numel(), op, "out", true);
  check_array(mean, x, M, op, "mean", true);
  check_array(rstd, x, M, op, "rstd", true);
  return M;
}

void layer_norm(const ArrayView& x, int64_t d, const ArrayView* weight, const ArrayView* bias, double eps,
                const ArrayView& y, const ArrayView& mean, const ArrayView& rstd, const std::string& kernel) {
  const int64_t M = check_layer_norm(x, d, weight, bias, eps, y, mean, rstd, DeviceType::CPU);
  if (x.dtype == DType::Float32)
    ln_forward<float>(M, d, x, weight, bias, eps, y, mean, rstd, kernel);
  else
    ln_forward<double>(M, d, x, weight, bias, eps, y, mean, rstd, kernel);
}

int64_t check_layer_norm_backward(const ArrayView& gy, const ArrayView& x, int64_t d, const ArrayView* weight,
                                  const ArrayView& mean, const ArrayView& rstd, const ArrayView* gx, const ArrayView* gw,
                                  const ArrayView* gb, DeviceType device) {
  const char* op = "layer_norm_backward";
  check_contiguous_on(x, device, op, "input");
  if (d <= 0 || x.numel() % d != 0)
    fail(ErrorKind::Runtime, op, ": normalized size ", d, " does not divide the input ", x.describe());
  const int64_t M = x.numel() / d;
  check_array(gy, x, x.numel(), op, "grad_output", false);
  if (weight) check_array(*weight, x, d, op, "weight", false);
  check_array(mean, x, M, op, "mean", false);
  check_array(rstd, x, M, op, "rstd", false);
  if (gx) {
    check_array(*gx, x, x.numel(), op, "grad_input", true);
    check_disjoint(*gx, "grad_input", gy, "grad_output", op);
  }
  if (gw) check_array(*gw, x, d, op, "grad_weight", true);
  if (gb) check_array(*gb, x, d, op, "grad_bias", true);
  return M;
}

void layer_norm_backward(const ArrayView& gy, const ArrayView& x, int64_t d, const ArrayView* weight,
                         const ArrayView& mean, const ArrayView& rstd, const ArrayView* gx, const ArrayView* gw,
                         const ArrayView* gb, const std::string& kernel) {
  const int64_t M = check_layer_norm_backward(gy, x, d, weight, mean, rstd, gx, gw, gb, DeviceType::CPU);
  if (x.dtype == DType::Float32)
    ln_backward<float>(M, d, gy, x, weight, mean, rstd, gx, gw, gb, kernel);
  else
    ln_backward<double>(M, d, gy, x, weight, mean, rstd, gx, gw, gb, kernel);
}

}  // namespace fastnn
