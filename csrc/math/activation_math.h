// activation_math.h — the activations of cpu/activation.h, written once over a traits type T:
//   T::E (element type), T::V (a vector of T::L elements), T::M (a lane mask);
//   set1, load, store, load_n / store_n (the first n lanes), add, sub, mul, div, fma (a*b + c), abs, sqrt,
//   max (b where either is NaN), isnan,
//   gt/lt/le (ordered compares: false for NaN), select(m, a, b) = m ? a : b, exp, log (x > 0);
//   kLibm: the traits' own tanh / expm1 / log1p (libm's, for the reference) replace the ones built here;
//   stream (non-temporal store of an aligned vector), lanes_to_alignment(p, n), fence, erf.
// Included only by the kernel files (cpu/ref, cpu/avx2, cpu/avx512), each compiled for its ISA.
#pragma once
#include <cmath>
#include <cstdint>
#include <initializer_list>

#include "core/activation_params.h"
#include "core/host_device.h"

namespace fastnn::act {

template <class T>
struct Math {
  using V = typename T::V;
  using E = typename T::E;
  FASTNN_HD static V c(double v) { return T::set1(E(v)); }

  // exp(x) - 1 without the cancellation near 0: the Taylor series through x^10 / 10! for |x| < 0.5
  // (truncation < 2e-11 relative), exp(x) - 1 beyond.
  FASTNN_HD static V expm1(V x) {
    if constexpr (T::kLibm) {
      return T::expm1(x);
    } else {
      V r = c(1.0 / 3628800);
      for (double k : {1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5})
        r = T::fma(r, x, c(k));
      const V small = T::fma(T::mul(x, x), r, x);
      return T::select(T::lt(T::abs(x), c(0.5)), small, T::sub(T::exp(x), c(1.0)));
    }
  }

  // log(1 + e) for e >= 0: log(u) corrected by the rounding of u = 1 + e (exact to a few ulp for tiny e).
  FASTNN_HD static V log1p_pos(V e) {
    if constexpr (T::kLibm) {
      return T::log1p(e);
    } else {
      const V u = T::add(c(1.0), e);
      const V fix = T::div(T::sub(T::sub(u, c(1.0)), e), u);
      // (for e beyond 1e30 the correction is below an ulp, and would be inf / inf at e = inf)
      return T::select(T::lt(e, c(1e30)), T::sub(T::log(u), fix), T::log(u));
    }
  }

  // tanh: its odd Taylor series through x^17 for |x| < 0.5 (truncation < 1e-9 relative), else
  // sign(x) (1 - 2 / (exp(2|x|) + 1)). NaN falls to the second form and stays NaN.
  FASTNN_HD static V tanh(V x) {
    if constexpr (T::kLibm) {
      return T::tanh(x);
    } else {
      const V x2 = T::mul(x, x);
      V q = c(6404582.0 / 10854718875);
      for (double k : {-929569.0 / 638512875, 21844.0 / 6081075, -1382.0 / 155925, 62.0 / 2835, -17.0 / 315, 2.0 / 15,
                       -1.0 / 3})
        q = T::fma(q, x2, c(k));
      const V small = T::fma(T::mul(x, x2), q, x);
      const V ax = T::abs(x);
      const V big = T::sub(c(1.0), T::div(c(2.0), T::add(T::exp(T::add(ax, ax)), c(1.0))));
      const V signed_big = T::select(T::lt(x, c(0.0)), T::sub(c(0.0), big), big);
      return T::select(T::lt(ax, c(0.5)), small, signed_big);
    }
  }

  // log(1 + exp(b)): libm's log1p(exp(b)) for the reference; else max(b, 0) + log1p(exp(-|b|)), where the
  // log1p of t = exp(-|b|) in (0, 1] is 2 atanh(t / (2 + t)) summed through s^13, s = t / (2 + t) <= 1/3
  // (truncation < 1.4e-8 relative): no exponent split and no rounding correction, as a general log1p needs.
  FASTNN_HD static V softplus_core(V b) {
    if constexpr (T::kLibm) {
      return T::log1p(T::exp(b));
    } else {
      const V t = T::exp(T::sub(c(0.0), T::abs(b)));
      const V s = T::div(t, T::add(c(2.0), t)), s2 = T::mul(s, s);
      V q = c(1.0 / 13);
      for (double k : {1.0 / 11, 1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3}) q = T::fma(q, s2, c(k));
      const V two_s = T::add(s, s);
      const V l = T::fma(T::mul(two_s, s2), q, two_s);
      return T::add(T::select(T::gt(b, c(0.0)), b, c(0.0)), l);
    }
  }

  FASTNN_HD static V sigmoid(V x) { return T::div(c(1.0), T::add(c(1.0), T::exp(T::sub(c(0.0), x)))); }

  static constexpr double kBeta = 0.7978845608028654;  // sqrt(2 / pi)
  static constexpr double kKappa = 0.044715;

  template <Act A>
  FASTNN_HD static V forward(const ActParams& p, V x) {
    if constexpr (A == Act::LeakyRelu) return T::select(T::gt(x, c(0.0)), x, T::mul(x, c(p.a)));
    if constexpr (A == Act::Elu) return T::select(T::gt(x, c(0.0)), x, T::mul(c(p.a), expm1(x)));
    if constexpr (A == Act::Sigmoid) return sigmoid(x);
    if constexpr (A == Act::Tanh) return tanh(x);
    if constexpr (A == Act::GeluTanh) {
      const V inner = T::mul(c(kBeta), T::fma(T::mul(c(kKappa), x), T::mul(x, x), x));
      if constexpr (T::kLibm) {
        return T::mul(T::mul(c(0.5), x), T::add(c(1.0), tanh(inner)));  // torch's formula
      } else {  // (1 + tanh(z)) / 2 = 1 / (1 + exp(-2z)): one exp and one division, and no cancellation for x << 0
        return T::div(x, T::add(c(1.0), T::exp(T::mul(c(-2.0), inner))));
      }
    }
    if constexpr (A == Act::Gelu) return T::mul(T::mul(c(0.5), x), T::add(c(1.0), T::erf(T::mul(x, c(M_SQRT1_2)))));
    if constexpr (A == Act::Silu) return T::div(x, T::add(c(1.0), T::exp(T::sub(c(0.0), x))));
    if constexpr (A == Act::Hardtanh)
      return T::select(T::lt(x, c(p.a)), c(p.a), T::select(T::gt(x, c(p.b)), c(p.b), x));
    if constexpr (A == Act::Softplus) {  // (beta 1, the default, skips a division: x / 1 is x)
      const V bx = p.a == 1.0 ? x : T::mul(x, c(p.a));
      const V soft = softplus_core(bx);
      return T::select(T::gt(bx, c(p.b)), x, p.a == 1.0 ? soft : T::div(soft, c(p.a)));
    }
    return x;  // EluResult has no forward
  }

  template <Act A>
  FASTNN_HD static V backward(const ActParams& p, V dy, V s) {
    if constexpr (A == Act::LeakyRelu) return T::select(T::gt(s, c(0.0)), dy, T::mul(dy, c(p.a)));
    if constexpr (A == Act::Elu) return T::select(T::le(s, c(0.0)), T::mul(T::mul(dy, c(p.a)), T::exp(s)), dy);
    if constexpr (A == Act::EluResult) return T::select(T::le(s, c(0.0)), T::mul(dy, T::add(s, c(p.a))), dy);
    if constexpr (A == Act::Sigmoid) return T::mul(T::mul(dy, T::sub(c(1.0), s)), s);
    if constexpr (A == Act::Tanh) return T::mul(dy, T::sub(c(1.0), T::mul(s, s)));
    if constexpr (A == Act::GeluTanh) {
      const V x2 = T::mul(s, s);
      const V t = tanh(T::mul(c(kBeta), T::fma(T::mul(c(kKappa), s), x2, s)));
      const V left = T::mul(c(0.5), T::add(c(1.0), t));
      const V right = T::mul(T::mul(T::mul(c(0.5), s), T::sub(c(1.0), T::mul(t, t))),
                             T::mul(c(kBeta), T::fma(c(3 * kKappa), x2, c(1.0))));
      return T::mul(dy, T::add(left, right));
    }
    if constexpr (A == Act::Gelu) {  // torch: dy * (cdf + x * pdf)
      const V cdf = T::mul(c(0.5), T::add(c(1.0), T::erf(T::mul(s, c(M_SQRT1_2)))));
      const V pdf = T::mul(c(0.3989422804014327), T::exp(T::mul(c(-0.5), T::mul(s, s))));
      return T::mul(dy, T::fma(s, pdf, cdf));
    }
    if constexpr (A == Act::Silu) {
      const V sig = sigmoid(s);
      return T::mul(T::mul(dy, sig), T::fma(s, T::sub(c(1.0), sig), c(1.0)));
    }
    if constexpr (A == Act::Hardtanh)  // dy strictly inside (min, max); 0 at the edges, outside and for NaN (torch)
      return T::select(T::gt(s, c(p.a)), T::select(T::lt(s, c(p.b)), dy, c(0.0)), c(0.0));
    if constexpr (A == Act::Softplus) {
      const V bx = T::mul(s, c(p.a));
      const V z = T::exp(bx);
      return T::select(T::gt(bx, c(p.b)), dy, T::div(T::mul(dy, z), T::add(z, c(1.0))));
    }
    return dy;
  }
};

// kStream: full vectors are written with non-temporal stores (outputs larger than the last-level cache:
// no read of the destination lines, ops/eltwise.h); the first lanes up to the vector alignment and the
// tail take ordinary masked stores.
template <class T, bool kStream, class F>
void store_loop(typename T::E* out, int64_t n, F&& value_at) {
  int64_t i = 0;
  if constexpr (kStream) {
    const int64_t peel = T::lanes_to_alignment(out, n);
    if (peel) T::store_n(out, value_at(0, peel), peel);
    i = peel;
    for (; i + T::L <= n; i += T::L) T::stream(out + i, value_at(i, T::L));
  } else {
    for (; i + T::L <= n; i += T::L) T::store(out + i, value_at(i, T::L));
  }
  if (i < n) T::store_n(out + i, value_at(i, n - i), n - i);
  if constexpr (kStream) T::fence();
}

template <class T>
typename T::V load_lanes(const typename T::E* p, int64_t i, int64_t lanes) {
  return lanes == T::L ? T::load(p + i) : T::load_n(p + i, lanes);
}

template <class T, Act A, bool kStream>
void forward_loop(const ActParams& p, const typename T::E* x, typename T::E* y, int64_t n) {
  store_loop<T, kStream>(y, n, [&](int64_t i, int64_t lanes) {
    return Math<T>::template forward<A>(p, load_lanes<T>(x, i, lanes));
  });
}

template <class T, Act A, bool kStream>
void backward_loop(const ActParams& p, const typename T::E* dy, const typename T::E* s, typename T::E* dx, int64_t n) {
  store_loop<T, kStream>(dx, n, [&](int64_t i, int64_t lanes) {
    return Math<T>::template backward<A>(p, load_lanes<T>(dy, i, lanes), load_lanes<T>(s, i, lanes));
  });
}

#define FASTNN_ACT_CASES(X) \
  X(LeakyRelu) X(Elu) X(EluResult) X(Sigmoid) X(Tanh) X(Gelu) X(GeluTanh) X(Silu) X(Hardtanh) X(Softplus)

template <class T, bool kStream>
void forward(Act act, const ActParams& p, const typename T::E* x, typename T::E* y, int64_t n) {
  switch (act) {
#define FASTNN_ACT_FWD(name) case Act::name: return forward_loop<T, Act::name, kStream>(p, x, y, n);
    FASTNN_ACT_CASES(FASTNN_ACT_FWD)
#undef FASTNN_ACT_FWD
  }
}

template <class T, bool kStream>
void backward(Act act, const ActParams& p, const typename T::E* dy, const typename T::E* s, typename T::E* dx,
              int64_t n) {
  switch (act) {
#define FASTNN_ACT_BWD(name) case Act::name: return backward_loop<T, Act::name, kStream>(p, dy, s, dx, n);
    FASTNN_ACT_CASES(FASTNN_ACT_BWD)
#undef FASTNN_ACT_BWD
  }
}

}  // namespace fastnn::act
