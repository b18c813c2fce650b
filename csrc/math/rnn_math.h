// rnn_math.h — the LSTM and GRU cells of cpu/rnn.h over vector traits T. Point<T> is the math of one
// vector of a row (FASTNN_HD: the CUDA kernels run it on the scalar traits, cuda/rnn.cu); the row loops
// around it are the CPU kernels, the tail of a row one partial vector (load_n / store_n).
#pragma once
#include <cstdint>

#include "core/host_device.h"
#include "math/activation_math.h"

namespace fastnn::rnn {

template <class T>
struct Point {
  using V = typename T::V;
  using M = act::Math<T>;

  // LSTM forward: i, f, g, o pre-activations in, activations out; c_prev in, c and h out.
  FASTNN_HD static void lstm_forward(V& i, V& f, V& g, V& o, V c_prev, V& c, V& h) {
    i = M::sigmoid(i);
    f = M::sigmoid(f);
    g = M::tanh(g);
    o = M::sigmoid(o);
    c = T::fma(f, c_prev, T::mul(i, g));
    h = T::mul(o, M::tanh(c));
  }

  // LSTM backward: the saved activations, c, c_prev, the step's output gradient dh; dc in (from step t+1),
  // dc_prev out; the four pre-activation gradients out.
  FASTNN_HD static void lstm_backward(V i, V f, V g, V o, V c, V c_prev, V dh, V& dc, V& di, V& df, V& dg, V& d_o) {
    const V one = M::c(1.0);
    const V tc = M::tanh(c);
    const V dct = T::fma(T::mul(dh, o), T::sub(one, T::mul(tc, tc)), dc);
    di = T::mul(T::mul(dct, g), T::mul(i, T::sub(one, i)));
    df = T::mul(T::mul(dct, c_prev), T::mul(f, T::sub(one, f)));
    dg = T::mul(T::mul(dct, i), T::sub(one, T::mul(g, g)));
    d_o = T::mul(T::mul(dh, tc), T::mul(o, T::sub(one, o)));
    dc = T::mul(dct, f);
  }

  // GRU forward (torch's gates [r z n]): gi = x·W_ihᵀ + b_ih and gh = h_prev·W_hhᵀ + b_hh parts in;
  // r, z, n and h out.  r = s(gi_r + gh_r), z = s(gi_z + gh_z), n = tanh(gi_n + r gh_n), h = n + z (h_prev - n).
  FASTNN_HD static void gru_forward(V ir, V iz, V in, V hr, V hz, V hn, V h_prev, V& r, V& z, V& n, V& h) {
    r = M::sigmoid(T::add(ir, hr));
    z = M::sigmoid(T::add(iz, hz));
    n = M::tanh(T::fma(r, hn, in));
    h = T::fma(z, T::sub(h_prev, n), n);
  }

  // GRU backward: the saved r, z, n, gh_n, h_prev and the step's output gradient dh give the gradients of
  // the gate pre-activations: d_r and d_z (the same for gi and gh), d_in (gi_n), d_hn (gh_n); and the
  // direct part of the h_prev gradient, dh z (the caller adds d_gh · W_hh).
  FASTNN_HD static void gru_backward(V r, V z, V n, V hn, V h_prev, V dh, V& d_r, V& d_z, V& d_in, V& d_hn,
                                     V& dh_prev) {
    const V one = M::c(1.0);
    d_in = T::mul(T::mul(dh, T::sub(one, z)), T::sub(one, T::mul(n, n)));
    d_hn = T::mul(d_in, r);
    d_r = T::mul(T::mul(d_in, hn), T::mul(r, T::sub(one, r)));
    d_z = T::mul(T::mul(dh, T::sub(h_prev, n)), T::mul(z, T::sub(one, z)));
    dh_prev = T::mul(dh, z);
  }
};

// The loop over rows and over H in vectors, the tail a partial vector: fn(j, n, ld, st).
template <class T, class F>
inline void over_row(int64_t H, F&& fn) {
  using E = typename T::E;
  using V = typename T::V;
  for (int64_t j = 0; j < H; j += T::L) {
    const int64_t n = H - j < T::L ? H - j : T::L;
    auto ld = [n](const E* p) { return n == T::L ? T::load(p) : T::load_n(p, n); };
    auto st = [n](E* p, V v) { n == T::L ? T::store(p, v) : T::store_n(p, v, n); };
    fn(j, ld, st);
  }
}

template <class T>
void lstm_forward(typename T::E* gates, const typename T::E* c_prev, typename T::E* c, typename T::E* h, int64_t rows,
                  int64_t H) {
  using V = typename T::V;
  for (int64_t r = 0; r < rows; ++r) {
    auto* g = gates + r * 4 * H;
    const auto* cp = c_prev ? c_prev + r * H : nullptr;
    over_row<T>(H, [&](int64_t j, auto ld, auto st) {
      V i = ld(g + j), f = ld(g + H + j), gg = ld(g + 2 * H + j), o = ld(g + 3 * H + j), cn, hn;
      Point<T>::lstm_forward(i, f, gg, o, cp ? ld(cp + j) : T::set1(0), cn, hn);
      st(g + j, i);
      st(g + H + j, f);
      st(g + 2 * H + j, gg);
      st(g + 3 * H + j, o);
      st(c + r * H + j, cn);
      st(h + r * H + j, hn);
    });
  }
}

template <class T>
void lstm_backward(const typename T::E* act, const typename T::E* c_prev, const typename T::E* c,
                   const typename T::E* dh, typename T::E* dc, typename T::E* dgates, int64_t rows, int64_t H) {
  using V = typename T::V;
  for (int64_t r = 0; r < rows; ++r) {
    const auto* a = act + r * 4 * H;
    auto* dg = dgates + r * 4 * H;
    over_row<T>(H, [&](int64_t j, auto ld, auto st) {
      V dcv = ld(dc + r * H + j), di, df, dgg, d_o;
      Point<T>::lstm_backward(ld(a + j), ld(a + H + j), ld(a + 2 * H + j), ld(a + 3 * H + j), ld(c + r * H + j),
                              c_prev ? ld(c_prev + r * H + j) : T::set1(0), ld(dh + r * H + j), dcv, di, df, dgg, d_o);
      st(dg + j, di);
      st(dg + H + j, df);
      st(dg + 2 * H + j, dgg);
      st(dg + 3 * H + j, d_o);
      st(dc + r * H + j, dcv);
    });
  }
}

template <class T>
void gru_forward(typename T::E* act, const typename T::E* gh, const typename T::E* h_prev, typename T::E* h,
                 int64_t rows, int64_t H) {
  using V = typename T::V;
  for (int64_t r = 0; r < rows; ++r) {
    auto* a = act + r * 4 * H;
    const auto* b = gh + r * 3 * H;
    const auto* hp = h_prev ? h_prev + r * H : nullptr;
    over_row<T>(H, [&](int64_t j, auto ld, auto st) {
      V rv, zv, nv, hv;
      const V hn = ld(b + 2 * H + j);
      Point<T>::gru_forward(ld(a + j), ld(a + H + j), ld(a + 2 * H + j), ld(b + j), ld(b + H + j), hn,
                            hp ? ld(hp + j) : T::set1(0), rv, zv, nv, hv);
      st(a + j, rv);
      st(a + H + j, zv);
      st(a + 2 * H + j, nv);
      st(a + 3 * H + j, hn);
      st(h + r * H + j, hv);
    });
  }
}

template <class T>
void gru_backward(const typename T::E* act, const typename T::E* h_prev, const typename T::E* dh, typename T::E* dgi,
                  typename T::E* dgh, typename T::E* dh_prev, int64_t rows, int64_t H) {
  using V = typename T::V;
  for (int64_t r = 0; r < rows; ++r) {
    const auto* a = act + r * 4 * H;
    auto *di = dgi + r * 3 * H, *dg = dgh + r * 3 * H;
    const auto* hp = h_prev ? h_prev + r * H : nullptr;
    over_row<T>(H, [&](int64_t j, auto ld, auto st) {
      V d_r, d_z, d_in, d_hn, dhp;
      Point<T>::gru_backward(ld(a + j), ld(a + H + j), ld(a + 2 * H + j), ld(a + 3 * H + j),
                             hp ? ld(hp + j) : T::set1(0), ld(dh + r * H + j), d_r, d_z, d_in, d_hn, dhp);
      st(di + j, d_r);
      st(di + H + j, d_z);
      st(di + 2 * H + j, d_in);
      st(dg + j, d_r);
      st(dg + H + j, d_z);
      st(dg + 2 * H + j, d_hn);
      st(dh_prev + r * H + j, dhp);
    });
  }
}

}  // namespace fastnn::rnn
