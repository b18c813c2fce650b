// optim_math.h — the optimizer updates of cpu/optim.h over the vector traits of math/activation_math.h,
// written once: the CPU kernel files (cpu/ref, cpu/avx2, cpu/avx512) loop over vectors, the CUDA kernels
// (cuda/optim.cu) call `update` per element with the scalar traits (FASTNN_HD).
#pragma once
#include <cstdint>

#include "core/host_device.h"
#include "core/optim_params.h"
#include "math/activation_math.h"

namespace fastnn::optim {

template <class T>
struct Math : act::Math<T> {  // c() from the activations' math
  using V = typename T::V;
  using act::Math<T>::c;

  // torch's lerp: self + w (end - self) for w < 0.5, else end - (end - self)(1 - w)
  FASTNN_HD static V lerp(V self, V end, double w) {
    return w < 0.5 ? T::fma(c(w), T::sub(end, self), self) : T::sub(end, T::mul(T::sub(end, self), c(1.0 - w)));
  }
  // torch.maximum: NaN in either operand gives NaN
  FASTNN_HD static V max_nan(V a, V b) { return T::select(T::isnan(a), a, T::max(a, b)); }

  // One step on p with gradient g and the states s0, s1, s2 (cpu/optim.h: which ones each kind keeps;
  // the others are ignored).
  template <Optim K>
  FASTNN_HD static void update(const OptimStep& h, V& p, V g, V& s0, V& s1, V& s2) {
    if (h.maximize) g = T::mul(g, c(-1.0));
    if (h.weight_decay != 0) {
      if (K == Optim::Adam && h.decoupled) p = T::mul(p, c(1.0 - h.lr * h.weight_decay));
      else g = T::fma(p, c(h.weight_decay), g);
    }
    if constexpr (K == Optim::Adam) {
      s0 = lerp(s0, g, 1.0 - h.beta1);
      s1 = T::fma(T::mul(c(1.0 - h.beta2), g), g, T::mul(s1, c(h.beta2)));
      V d = s1;
      if (h.amsgrad) {
        s2 = max_nan(s2, s1);
        d = s2;
      }
      // torch divides by bc2_sqrt; a multiply by its reciprocal saves a division per vector (<= 1 ulp)
      const V denom = T::fma(T::sqrt(d), c(1.0 / h.bc2_sqrt), c(h.eps));
      p = T::fma(c(-h.step_size), T::div(s0, denom), p);
    } else if constexpr (K == Optim::Sgd) {
      if (h.momentum != 0) {
        s0 = h.first ? g : T::fma(g, c(1.0 - h.dampening), T::mul(s0, c(h.momentum)));
        g = h.nesterov ? T::fma(s0, c(h.momentum), g) : s0;
      }
      p = T::fma(g, c(-h.lr), p);
    } else if constexpr (K == Optim::RmsProp) {
      s0 = T::fma(T::mul(c(1.0 - h.alpha), g), g, T::mul(s0, c(h.alpha)));
      V avg;
      if (h.centered) {
        s2 = lerp(s2, g, 1.0 - h.alpha);
        avg = T::sqrt(T::fma(T::mul(c(-1.0), s2), s2, s0));
      } else {
        avg = T::sqrt(s0);
      }
      avg = T::add(avg, c(h.eps));
      if (h.momentum > 0) {
        s1 = T::add(T::mul(s1, c(h.momentum)), T::div(g, avg));
        p = T::fma(s1, c(-h.lr), p);
      } else {
        p = T::fma(c(-h.lr), T::div(g, avg), p);
      }
    } else {  // Adagrad
      s0 = T::fma(g, g, s0);
      const V std_ = T::add(T::sqrt(s0), c(h.eps));
      p = T::fma(c(-h.clr), T::div(g, std_), p);
    }
  }
};

template <class T, Optim K>
void step_loop(const OptimStep& step, const OptimTensor<typename T::E>& tensor) {
  using V = typename T::V;
  // Local copies: the stores below could alias a referenced struct, which would make the compiler reload
  // every field (and re-test every flag) per vector.
  const OptimStep h = step;
  const OptimTensor<typename T::E> t = tensor;
  const V zero = T::set1(0);
  for (int64_t i = 0; i < t.n; i += T::L) {
    const int64_t lanes = t.n - i < T::L ? t.n - i : T::L;
    auto ld = [&](const typename T::E* a) { return lanes == T::L ? T::load(a + i) : T::load_n(a + i, lanes); };
    auto st = [&](typename T::E* a, V v) {
      if (lanes == T::L) T::store(a + i, v);
      else T::store_n(a + i, v, lanes);
    };
    V p = ld(t.p), s0 = t.s0 ? ld(t.s0) : zero, s1 = t.s1 ? ld(t.s1) : zero, s2 = t.s2 ? ld(t.s2) : zero;
    Math<T>::template update<K>(h, p, ld(t.g), s0, s1, s2);
    st(t.p, p);
    if (t.s0) st(t.s0, s0);
    if (t.s1) st(t.s1, s1);
    if (t.s2) st(t.s2, s2);
  }
}

template <class T>
void step(const OptimStep& h, const OptimTensor<typename T::E>& t) {
  switch (h.kind) {
    case Optim::Adam: return step_loop<T, Optim::Adam>(h, t);
    case Optim::Sgd: return step_loop<T, Optim::Sgd>(h, t);
    case Optim::RmsProp: return step_loop<T, Optim::RmsProp>(h, t);
    case Optim::Adagrad: return step_loop<T, Optim::Adagrad>(h, t);
  }
}

}  // namespace fastnn::optim
