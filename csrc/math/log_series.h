// log_series.h — the ISA-independent half of the vectorized log (traits_avx2.h, traits_avx512.h): given
// x = 2^e m with m in [1, 2) (each ISA splits x its own way), m is brought into [sqrt(1/2), sqrt(2)) and
// log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, is summed through s^11 (truncation < 1e-10
// relative); log(x) = e ln2 + log(m), ln2 in two parts.
#pragma once
#include <initializer_list>

namespace fastnn {

template <class T>
typename T::V log_from_parts(typename T::V e, typename T::V m) {
  const auto big = T::gt(m, T::set1(1.41421356f));
  m = T::select(big, T::mul(m, T::set1(0.5f)), m);
  e = T::select(big, T::add(e, T::set1(1.f)), e);
  const typename T::V s = T::div(T::sub(m, T::set1(1.f)), T::add(m, T::set1(1.f))), s2 = T::mul(s, s);
  typename T::V q = T::set1(1.f / 11);
  for (float k : {1.f / 9, 1.f / 7, 1.f / 5, 1.f / 3}) q = T::fma(q, s2, T::set1(k));
  const typename T::V two_s = T::add(s, s);
  const typename T::V logm = T::fma(T::mul(two_s, s2), q, two_s);
  return T::fma(e, T::set1(0.693359375f), T::fma(e, T::set1(-2.12194440e-4f), logm));
}

}  // namespace fastnn
