// rnn_math.h — the LSTM cell loops of cpu/rnn.h over vector traits T; the tail of a row is one partial
// vector (load_n / store_n).
#pragma once
#include <cstdint>

#include "cpu/activation_math.h"
#include "cpu/rnn.h"

namespace fastnn::rnn {

template <class T>
void lstm_forward(typename T::E* gates, const typename T::E* c_prev, typename T::E* c, typename T::E* h, int64_t rows,
                  int64_t H) {
  using M = act::Math<T>;
  using V = typename T::V;
  for (int64_t r = 0; r < rows; ++r) {
    auto* g = gates + r * 4 * H;
    const auto* cp = c_prev ? c_prev + r * H : nullptr;
    for (int64_t j = 0; j < H; j += T::L) {
      const int64_t n = H - j < T::L ? H - j : T::L;
      auto ld = [&](const typename T::E* p) { return n == T::L ? T::load(p) : T::load_n(p, n); };
      auto st = [&](typename T::E* p, V v) { n == T::L ? T::store(p, v) : T::store_n(p, v, n); };
      const V i = M::sigmoid(ld(g + j)), f = M::sigmoid(ld(g + H + j)), gg = M::tanh(ld(g + 2 * H + j)),
              o = M::sigmoid(ld(g + 3 * H + j));
      const V cn = cp ? T::fma(f, ld(cp + j), T::mul(i, gg)) : T::mul(i, gg);
      st(g + j, i);
      st(g + H + j, f);
      st(g + 2 * H + j, gg);
      st(g + 3 * H + j, o);
      st(c + r * H + j, cn);
      st(h + r * H + j, T::mul(o, M::tanh(cn)));
    }
  }
}

template <class T>
void lstm_backward(const typename T::E* act, const typename T::E* c_prev, const typename T::E* c,
                   const typename T::E* dh, typename T::E* dc, typename T::E* dgates, int64_t rows, int64_t H) {
  using M = act::Math<T>;
  using V = typename T::V;
  const V one = M::c(1.0), zero = M::c(0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const auto* a = act + r * 4 * H;
    auto* dg = dgates + r * 4 * H;
    for (int64_t j = 0; j < H; j += T::L) {
      const int64_t n = H - j < T::L ? H - j : T::L;
      auto ld = [&](const typename T::E* p) { return n == T::L ? T::load(p) : T::load_n(p, n); };
      auto st = [&](typename T::E* p, V v) { n == T::L ? T::store(p, v) : T::store_n(p, v, n); };
      const V i = ld(a + j), f = ld(a + H + j), gg = ld(a + 2 * H + j), o = ld(a + 3 * H + j);
      const V tc = M::tanh(ld(c + r * H + j)), dhv = ld(dh + r * H + j);
      const V cp = c_prev ? ld(c_prev + r * H + j) : zero;
      const V dct = T::fma(T::mul(dhv, o), T::sub(one, T::mul(tc, tc)), ld(dc + r * H + j));
      st(dg + j, T::mul(T::mul(dct, gg), T::mul(i, T::sub(one, i))));
      st(dg + H + j, T::mul(T::mul(dct, cp), T::mul(f, T::sub(one, f))));
      st(dg + 2 * H + j, T::mul(T::mul(dct, i), T::sub(one, T::mul(gg, gg))));
      st(dg + 3 * H + j, T::mul(T::mul(dhv, tc), T::mul(o, T::sub(one, o))));
      st(dc + r * H + j, T::mul(dct, f));
    }
  }
}

template <class T>
LstmCellKernelsT<typename T::E> lstm_kernels() {
  return {lstm_forward<T>, lstm_backward<T>};
}

}  // namespace fastnn::rnn
