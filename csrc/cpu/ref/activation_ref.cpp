// activation_ref.cpp — the activations on scalars with libm's exp, expm1, log1p and tanh
// (cpu/activation_math.h): the oracle of the SIMD variants, and the float64 path.
#include <cmath>

#include "cpu/activation_math.h"

namespace fastnn {
namespace {

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
  static void stream(E* p, V v) { *p = v; }
  static int64_t lanes_to_alignment(const E*, int64_t) { return 0; }
  static void fence() {}
};

}  // namespace

// (scalar stores: `stream` changes nothing here)
void activation_f32__ref(Act act, const ActParams& p, const float* x, float* y, int64_t n, bool) {
  act::forward<Scalar<float>, false>(act, p, x, y, n);
}
void activation_backward_f32__ref(Act act, const ActParams& p, const float* dy, const float* s, float* dx, int64_t n,
                                  bool) {
  act::backward<Scalar<float>, false>(act, p, dy, s, dx, n);
}
void activation_f64(Act act, const ActParams& p, const double* x, double* y, int64_t n) {
  act::forward<Scalar<double>, false>(act, p, x, y, n);
}
void activation_backward_f64(Act act, const ActParams& p, const double* dy, const double* s, double* dx, int64_t n) {
  act::backward<Scalar<double>, false>(act, p, dy, s, dx, n);
}

}  // namespace fastnn
