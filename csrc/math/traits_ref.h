// traits_ref.h — the scalar "vector traits" of math/activation_math.h: one element per "vector", libm's
// functions (the reference variants' math, in float and in double). The CUDA kernels use them too
// (FASTNN_HD): std:: math in device code is CUDA's device libm.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/host_device.h"

namespace fastnn::ref {

template <class E_>
struct Scalar {
  using E = E_;
  using V = E;
  using M = bool;
  static constexpr int64_t L = 1;
  static constexpr bool kLibm = true;
  FASTNN_HD static V set1(E a) { return a; }
  FASTNN_HD static V load(const E* p) { return *p; }
  FASTNN_HD static void store(E* p, V v) { *p = v; }
  FASTNN_HD static V load_n(const E* p, int64_t) { return *p; }
  FASTNN_HD static void store_n(E* p, V v, int64_t) { *p = v; }
  FASTNN_HD static V add(V a, V b) { return a + b; }
  FASTNN_HD static V sub(V a, V b) { return a - b; }
  FASTNN_HD static V mul(V a, V b) { return a * b; }
  FASTNN_HD static V div(V a, V b) { return a / b; }
  FASTNN_HD static V fma(V a, V b, V c) { return a * b + c; }
  FASTNN_HD static V abs(V a) { return std::fabs(a); }
  FASTNN_HD static V sqrt(V a) { return std::sqrt(a); }
  FASTNN_HD static V max(V a, V b) { return a > b ? a : b; }  // b where either is NaN (as x86's maxps)
  FASTNN_HD static M isnan(V a) { return a != a; }
  FASTNN_HD static M gt(V a, V b) { return a > b; }
  FASTNN_HD static M lt(V a, V b) { return a < b; }
  FASTNN_HD static M le(V a, V b) { return a <= b; }
  FASTNN_HD static V select(M m, V a, V b) { return m ? a : b; }
  FASTNN_HD static V exp(V a) { return std::exp(a); }
  FASTNN_HD static V log(V a) { return std::log(a); }
  FASTNN_HD static V expm1(V a) { return std::expm1(a); }
  FASTNN_HD static V log1p(V a) { return std::log1p(a); }
  FASTNN_HD static V tanh(V a) { return std::tanh(a); }
  FASTNN_HD static E sum(V v) { return v; }
  FASTNN_HD static V erf(V a) { return std::erf(a); }
  FASTNN_HD static void stream(E* p, V v) { *p = v; }
  FASTNN_HD static int64_t lanes_to_alignment(const E*, int64_t) { return 0; }
  FASTNN_HD static void fence() {}
};

}  // namespace fastnn::ref
