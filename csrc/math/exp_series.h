// exp_series.h — the ISA-independent half of the vectorized exp (traits_avx2.h, traits_avx512.h):
// x clamped to [-104, 89] (NaN passes), k = round(x / ln2), r = x - k ln2 (Cody-Waite: ln2 in two parts,
// the high one exact in 9 bits, |r| <= ln2 / 2), exp(r) by its degree-7 Taylor polynomial (truncation
// < 1e-8 relative). The ISA then multiplies by 2^k with gradual underflow. Measured: <= 0.92 ulp vs float64
// (tests/test_softmax.py).
#pragma once
#include <initializer_list>

namespace fastnn {

template <class T>
typename T::V exp_reduced(typename T::V x, typename T::V& k) {
  x = T::select(T::gt(x, T::set1(89.f)), T::set1(89.f), T::select(T::lt(x, T::set1(-104.f)), T::set1(-104.f), x));
  k = T::round(T::mul(x, T::set1(1.44269504088896341f)));
  typename T::V r = T::fma(k, T::set1(-0.693359375f), x);
  r = T::fma(k, T::set1(2.12194440e-4f), r);
  typename T::V p = T::set1(1.f / 5040);
  for (float c : {1.f / 720, 1.f / 120, 1.f / 24, 1.f / 6, 0.5f, 1.f, 1.f}) p = T::fma(p, r, T::set1(c));
  return p;
}

}  // namespace fastnn
