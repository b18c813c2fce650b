// loss_math.h — the losses of cpu/loss.h over the vector traits of math/activation_math.h; included only by
// the kernel files. A = the args type (float or double pointers, same fields).
#pragma once
#include <cstdint>

#include "core/loss_params.h"
#include "math/activation_math.h"

namespace fastnn::loss {

template <class T>
struct Math : act::Math<T> {  // c(), sigmoid(), log1p_pos() from the activations' math
  using V = typename T::V;
  using act::Math<T>::c;
  FASTNN_HD static V sign(V d) {  // -1, 0, 1; NaN stays NaN
    return T::select(T::gt(d, c(0.0)), c(1.0), T::select(T::lt(d, c(0.0)), c(-1.0), T::mul(d, c(0.0))));
  }
  FASTNN_HD static V clamp_log(V v) { return T::select(T::lt(v, c(-100.0)), c(-100.0), v); }
  // log(1 + e) for e > -1 (log1p(-x) with x a probability): log(u) corrected by u's rounding
  FASTNN_HD static V log1p(V e) {
    if constexpr (T::kLibm) {
      return T::log1p(e);
    } else {
      const V u = T::add(c(1.0), e);
      const V fixed = T::sub(T::log(u), T::div(T::sub(T::sub(u, c(1.0)), e), u));
      return T::select(T::gt(u, c(0.0)), fixed, T::log(u));  // u = 0: -inf (the correction would be 0 / 0)
    }
  }
  FASTNN_HD static V log_sigmoid(V x) {  // min(x, 0) - log1p(exp(-|x|))
    const V m = T::select(T::lt(x, c(0.0)), x, c(0.0));
    return T::sub(m, Math::log1p_pos(T::exp(T::sub(c(0.0), T::abs(x)))));
  }

  template <Loss L>
  FASTNN_HD static V value(double a, V x, V y, V pw) {
    if constexpr (L == Loss::Mse) { const V d = T::sub(x, y); return T::mul(d, d); }
    if constexpr (L == Loss::L1) return T::abs(T::sub(x, y));
    if constexpr (L == Loss::SmoothL1) {
      const V d = T::sub(x, y), ad = T::abs(d);
      return T::select(T::lt(ad, c(a)), T::div(T::mul(c(0.5), T::mul(d, d)), c(a)), T::sub(ad, c(0.5 * a)));
    }
    if constexpr (L == Loss::Huber) {
      const V d = T::sub(x, y), ad = T::abs(d);
      return T::select(T::lt(ad, c(a)), T::mul(c(0.5), T::mul(d, d)), T::mul(c(a), T::sub(ad, c(0.5 * a))));
    }
    if constexpr (L == Loss::Bce) {
      const V lx = clamp_log(T::log(x)), l1x = clamp_log(log1p(T::sub(c(0.0), x)));
      return T::sub(T::mul(T::sub(y, c(1.0)), l1x), T::mul(y, lx));
    }
    if constexpr (L == Loss::BceLogits) {
      const V lw = T::fma(T::sub(pw, c(1.0)), y, c(1.0));
      return T::sub(T::mul(T::sub(c(1.0), y), x), T::mul(lw, log_sigmoid(x)));
    }
    return x;
  }

  template <Loss L>
  FASTNN_HD static V grad(double a, V x, V y, V pw) {
    if constexpr (L == Loss::Mse) return T::mul(c(2.0), T::sub(x, y));
    if constexpr (L == Loss::L1) return sign(T::sub(x, y));
    if constexpr (L == Loss::SmoothL1) {
      const V d = T::sub(x, y);
      return T::select(T::lt(T::abs(d), c(a)), T::div(d, c(a)), sign(d));
    }
    if constexpr (L == Loss::Huber) {  // torch: d < -a ? -a : (d > a ? a : d)
      const V d = T::sub(x, y);
      return T::select(T::lt(d, c(-a)), c(-a), T::select(T::gt(d, c(a)), c(a), d));
    }
    if constexpr (L == Loss::Bce) {
      const V den = T::mul(T::sub(c(1.0), x), x);
      return T::div(T::sub(x, y), T::select(T::lt(den, c(1e-12)), c(1e-12), den));
    }
    if constexpr (L == Loss::BceLogits) {
      const V t = T::mul(pw, y);
      return T::sub(T::mul(Math::sigmoid(x), T::sub(T::add(t, c(1.0)), y)), t);
    }
    return x;
  }
};

template <class T>
typename T::V at(const typename T::E* p, int64_t i, int64_t lanes, double fill) {
  if (!p) return T::set1(typename T::E(fill));
  return lanes == T::L ? T::load(p + i) : T::load_n(p + i, lanes);
}

template <class T, Loss L, class A>
double forward_loop(const A& a, typename T::E* out) {
  using V = typename T::V;
  V acc = T::set1(0);
  double total = 0;
  int64_t since = 0;
  for (int64_t i = 0; i < a.n; i += T::L) {
    const int64_t lanes = a.n - i < T::L ? a.n - i : T::L;
    V v = Math<T>::template value<L>(a.a, at<T>(a.x, i, lanes, 0), at<T>(a.y, i, lanes, 0), at<T>(a.pw, i, lanes, 1));
    if (a.w) v = T::mul(v, at<T>(a.w, i, lanes, 1));
    if (lanes == T::L) {
      if (out) T::store(out + i, v);
      acc = T::add(acc, v);
    } else {  // the last, partial vector: only its first lanes count (the others are the fill values' losses)
      if (out) T::store_n(out + i, v, lanes);
      alignas(64) typename T::E buf[64];
      T::store(buf, v);
      for (int64_t k = 0; k < lanes; ++k) total += double(buf[k]);
    }
    if (++since == 256) {  // float partial sums of at most 256 vectors each, then double
      total += double(T::sum(acc));
      acc = T::set1(0);
      since = 0;
    }
  }
  return total + double(T::sum(acc));
}

template <class T, Loss L, class A>
void backward_loop(const A& a, const typename T::E* g, typename T::E scale, typename T::E* dx) {
  for (int64_t i = 0; i < a.n; i += T::L) {
    const int64_t lanes = a.n - i < T::L ? a.n - i : T::L;
    auto v = Math<T>::template grad<L>(a.a, at<T>(a.x, i, lanes, 0), at<T>(a.y, i, lanes, 0), at<T>(a.pw, i, lanes, 1));
    if (a.w) v = T::mul(v, at<T>(a.w, i, lanes, 1));
    v = T::mul(v, g ? at<T>(g, i, lanes, 0) : T::set1(scale));
    if (lanes == T::L) T::store(dx + i, v); else T::store_n(dx + i, v, lanes);
  }
}

#define FASTNN_LOSS_CASES(X) X(Mse) X(L1) X(SmoothL1) X(Huber) X(Bce) X(BceLogits)

template <class T, class A>
double forward(const A& a, typename T::E* out) {
  switch (a.kind) {
#define FASTNN_LOSS_FWD(name) case Loss::name: return forward_loop<T, Loss::name>(a, out);
    FASTNN_LOSS_CASES(FASTNN_LOSS_FWD)
#undef FASTNN_LOSS_FWD
  }
  return 0;
}

template <class T, class A>
void backward(const A& a, const typename T::E* g, typename T::E scale, typename T::E* dx) {
  switch (a.kind) {
#define FASTNN_LOSS_BWD(name) case Loss::name: return backward_loop<T, Loss::name>(a, g, scale, dx);
    FASTNN_LOSS_CASES(FASTNN_LOSS_BWD)
#undef FASTNN_LOSS_BWD
  }
}

}  // namespace fastnn::loss
