// traits_ref.h — the scalar "vector traits" of cpu/activation_math.h: one element per "vector", libm's
// functions (the reference variants' math, in float and in double).
#pragma once
#include <cmath>
#include <cstdint>

namespace fastnn::ref {

template <class E_>
struct Scalar {
  using E = E_;
  using V = E;
  using M = bool;
  static constexpr int64_t L = 1;
  static constexpr bool kLibm = true;
  static V set1(E a) { return a; }
  static V load(const E* p) { return *p; }
  static void store(E* p, V v) { *p = v; }
  static V load_n(const E* p, int64_t) { return *p; }
  static void store_n(E* p, V v, int64_t) { *p = v; }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V div(V a, V b) { return a / b; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V abs(V a) { return std::fabs(a); }
  static M gt(V a, V b) { return a > b; }
  static M lt(V a, V b) { return a < b; }
  static M le(V a, V b) { return a <= b; }
  static V select(M m, V a, V b) { return m ? a : b; }
  static V exp(V a) { return std::exp(a); }
  static V log(V a) { return std::log(a); }
  static V expm1(V a) { return std::expm1(a); }
  static V log1p(V a) { return std::log1p(a); }
  static V tanh(V a) { return std::tanh(a); }
  static E sum(V v) { return v; }
  static V erf(V a) { return std::erf(a); }
  static void stream(E* p, V v) { *p = v; }
  static int64_t lanes_to_alignment(const E*, int64_t) { return 0; }
  static void fence() {}
};

}  // namespace fastnn::ref
