// gemm_ref.cpp — the portable GEMM micro-kernel (4x8 tile, any T) and packing routine: the fallback on
// every CPU, the float64 path (gradcheck) and the oracle the SIMD kernels are tested against.
#include <algorithm>

#include "cpu/gemm.h"

namespace fastnn {
namespace {

template <class T>
void pack_ref(const T* src, int64_t rs, int64_t cs, int64_t rows, int64_t depth, int64_t R, T* dst) {
  for (int64_t p = 0; p < rows; p += R, dst += R * depth) {
    const int64_t live = std::min(R, rows - p);
    const T* s = src + p * rs;
    if (cs == 1) {  // each row is contiguous along k: read rows, write with stride R
      for (int64_t r = 0; r < live; ++r)
        for (int64_t k = 0; k < depth; ++k) dst[k * R + r] = s[r * rs + k];
    } else {
      for (int64_t k = 0; k < depth; ++k)
        for (int64_t r = 0; r < live; ++r) dst[k * R + r] = s[r * rs + k * cs];
    }
    for (int64_t k = 0; k < depth; ++k)
      for (int64_t r = live; r < R; ++r) dst[k * R + r] = T(0);
  }
}

template <class T, int MR, int NR>
void ukernel_ref(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t m, int64_t n,
                 const GemmTile<T>& t) {
  T acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k, a += MR, b += NR)
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] += a[i] * b[j];
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      T v = t.alpha * acc[i][j];
      if (t.beta != T(0)) v += t.beta * c[i * ldc + j];
      if (t.bias_m) v += t.bias_m[i];
      if (t.bias_n) v += t.bias_n[j];
      c[i * ldc + j] = t.relu && v < T(0) ? T(0) : v;
    }
  }
}

}  // namespace

void gemm_dot_rows_f32(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t n,
                       const float* (&ar)[4], const float* (&br)[4]) {
  for (int64_t r = 0; r < 4; ++r) {
    ar[r] = a + (r < m ? r : m - 1) * lda;
    br[r] = b + (r < n ? r : n - 1) * ldb;
  }
}

void gemm_store_dot_tile_f32(const float (&r)[4][4], float* c, int64_t ldc, int64_t m, int64_t n,
                             const GemmTile<float>& t) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float v = t.alpha * r[i][j];
      if (t.beta != 0.f) v += t.beta * c[i * ldc + j];
      if (t.bias_m) v += t.bias_m[i];
      if (t.bias_n) v += t.bias_n[j];
      c[i * ldc + j] = t.relu && v < 0.f ? 0.f : v;
    }
  }
}

void gemm_dot_f32__ref(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                       int64_t m, int64_t n, const GemmTile<float>& t) {
  float r[4][4] = {};
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t k = 0; k < kc; ++k) r[i][j] += a[i * lda + k] * b[j * ldb + k];
  gemm_store_dot_tile_f32(r, c, ldc, m, n, t);
}

void gemm_pack_f32__ref(const float* src, int64_t rs, int64_t cs, int64_t rows, int64_t depth, int64_t R, float* dst) {
  pack_ref(src, rs, cs, rows, depth, R, dst);
}
void gemm_pack_f64__ref(const double* src, int64_t rs, int64_t cs, int64_t rows, int64_t depth, int64_t R,
                        double* dst) {
  pack_ref(src, rs, cs, rows, depth, R, dst);
}

const GemmConfig<float> gemm_f32_ukernel_4x8__ref = {4, 8, 256, 128, 2048, ukernel_ref<float, 4, 8>,
                                                     gemm_pack_f32__ref};
const GemmConfig<double> gemm_f64_ukernel_4x8__ref = {4, 8, 256, 64, 2048, ukernel_ref<double, 4, 8>,
                                                      gemm_pack_f64__ref};

template <class T>
void sum_rows_columns(const T* x, int64_t M, int64_t rs, int64_t cs, int64_t j0, int64_t j1, T* out, bool accumulate) {
  for (int64_t j = j0; j < j1; ++j) out[j] = accumulate ? out[j] : T(0);
  for (int64_t i = 0; i < M; ++i) {
    const T* row = x + i * rs;
    if (cs == 1)
      for (int64_t j = j0; j < j1; ++j) out[j] += row[j];
    else
      for (int64_t j = j0; j < j1; ++j) out[j] += row[j * cs];
  }
}
template void sum_rows_columns<float>(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, float*, bool);
template void sum_rows_columns<double>(const double*, int64_t, int64_t, int64_t, int64_t, int64_t, double*, bool);

}  // namespace fastnn
