// erf_table.h — the coefficients of the vectorized erf (traits_avx2.h, traits_avx512.h): erf(t) for
// t in [0, 4) as Taylor polynomials of degree 10 on the 8 intervals [0.5j, 0.5j + 0.5) around their
// midpoints (|h| <= 0.25); computed once, in double, from erf's derivatives
//   erf^(k)(c) = 2/sqrt(pi) (-1)^(k-1) H_(k-1)(c) exp(-c^2)   (H: the physicists' Hermite polynomials).
// Entry 8 is the constant 1 (t >= 4: erfc(4) = 1.5e-8 is below half an ulp of 1). Truncation < 1e-8
// absolute (measured through GELU: within torch's float32 results); near 0 the error is absolute, not
// relative: fine for GELU's 1 + erf, not a general-purpose erf.
#pragma once
#include <cmath>

namespace fastnn {

inline constexpr int kErfTerms = 11;

struct ErfTable {
  alignas(64) float center[16];
  alignas(64) float coef[kErfTerms][16];  // coef[k][interval]
};

inline const ErfTable& erf_table() {
  static const ErfTable table = [] {
    ErfTable t{};
    for (int j = 0; j < 16; ++j) {
      const double c = j < 8 ? 0.5 * j + 0.25 : 4.0;
      t.center[j] = float(c);
      if (j >= 8) {  // erf = 1
        t.coef[0][j] = 1.f;
        continue;
      }
      t.coef[0][j] = float(std::erf(c));
      double h_prev = 0, h = 1, fact = 1;  // H_(k-1) and k!
      const double scale = 2 / std::sqrt(M_PI) * std::exp(-c * c);
      for (int k = 1; k < kErfTerms; ++k) {
        fact *= k;
        t.coef[k][j] = float(scale * ((k - 1) % 2 ? -h : h) / fact);
        const double next = 2 * c * h - 2 * (k - 1) * h_prev;  // H_k
        h_prev = h;
        h = next;
      }
    }
    return t;
  }();
  return table;
}

}  // namespace fastnn
