// gemm.h — dense matrix product, the BLIS way: packing routines, a register-tiled micro-kernel and
// blocking loops (ops/gemm.cpp) whose sizes live in one config per ISA.
//   C[M,N] = act( alpha * op(A)[M,K] · op(B)[K,N] + beta * C + bias_m[M] (per row) + bias_n[N] (per column) )
//   act: identity or ReLU. beta == 0 means C is not read (NaN in an uninitialised C does not leak through).
// Transposes never materialise: op(A)(i, k) = A[i * a_rs + k * a_cs], and the packing routines read any
// such strided view (Linear forward Y = X·Wᵀ, dX = dY·W, dW = dYᵀ·X are three stride patterns).
// variants: __ref (portable 4x8 tile, also float64), __avx2 (6x16: 12 ymm accumulators of 16),
//   __avx512 (6x64 and 14x32: 24 / 28 zmm accumulators of 32). Partial tiles (m < MR, n < NR) are handled
//   inside. For small M in Linear's layout, gemm_dot_* inner-product kernels skip packing (below).
// bench: fastnn-bench --filter matmul
#pragma once
#include <cstdint>

#include "cpu/registry.h"

namespace fastnn {

// What a micro-kernel applies when it stores its tile. The driver passes beta = 1, no bias and no ReLU
// for every K block but the first (beta) and the last (bias, ReLU).
template <class T>
struct GemmTile {
  T alpha = 1, beta = 0;
  const T* bias_m = nullptr;  // tile's rows, already offset to the tile's first row; nullptr: none
  const T* bias_n = nullptr;  // tile's columns
  bool relu = false;
};

// c[i * ldc + j] for i < m <= MR, j < n <= NR, from kc steps of packed panels a[k * MR + i] and
// b[k * NR + j] (zero-padded past m and n). kc may be 0 (then the tile is beta * C + bias).
template <class T>
using GemmUkernel = void (*)(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t m, int64_t n,
                             const GemmTile<T>& tile);

// Packs `rows` x `depth` of a strided matrix (element (r, k) at src[r * rs + k * cs]) into
// ceil(rows / R) panels, panel p at dst + p * R * depth holding dst[k * R + r], zero past `rows`.
// A is packed with R = MR (rows = i), B with R = NR (rows = j of op(B)).
// A packing routine may write up to this many elements past the end of its panels (whole-vector stores).
constexpr int64_t kGemmPackSlack = 16;
template <class T>
using GemmPack = void (*)(const T* src, int64_t rs, int64_t cs, int64_t rows, int64_t depth, int64_t R, T* dst);

// Blocking for one micro-kernel: KC x NR B micro-panels stay in L1, the MC x KC A block in L2, the
// KC x NC B panel in L3.
template <class T>
struct GemmConfig {
  int64_t mr, nr, kc, mc, nc;
  GemmUkernel<T> ukernel;
  GemmPack<T> pack;
};

template <class T> using GemmConfigPtr = const GemmConfig<T>*;

void gemm_pack_f32__ref(const float* src, int64_t rs, int64_t cs, int64_t rows, int64_t depth, int64_t R, float* dst);
void gemm_pack_f64__ref(const double* src, int64_t rs, int64_t cs, int64_t rows, int64_t depth, int64_t R, double* dst);
extern const GemmConfig<float> gemm_f32_ukernel_4x8__ref;
extern const GemmConfig<double> gemm_f64_ukernel_4x8__ref;
#ifdef FASTNN_X86_KERNELS
// 8x8 in-register transposes for the k-contiguous case, masked vector copies for the row-contiguous one.
void gemm_pack_f32__avx2(const float* src, int64_t rs, int64_t cs, int64_t rows, int64_t depth, int64_t R, float* dst);
extern const GemmConfig<float> gemm_f32_ukernel_6x16__avx2;
extern const GemmConfig<float> gemm_f32_ukernel_6x64__avx512;
extern const GemmConfig<float> gemm_f32_ukernel_14x32__avx512;
#endif

// The small-M path for products whose operands both have rows contiguous along k (Linear's forward
// Y = X·Wᵀ): inner products straight from the arrays, no packing (at M = 16 packing W costs more than
// the arithmetic). A call computes an m x n tile (m, n <= kGemmDotTile) over kc steps of k:
//   c[i * ldc + j] = epilogue(sum_k a[i * lda + k] * b[j * ldb + k])
template <class T>
using GemmDotKernel = void (*)(int64_t kc, const T* a, int64_t lda, const T* b, int64_t ldb, T* c, int64_t ldc,
                               int64_t m, int64_t n, const GemmTile<T>& tile);
constexpr int64_t kGemmDotTile = 4;

// The 4x4 sums r[i][j] of a dot kernel through the tile's epilogue into c (the live m x n part). Portable
// code shared by every ISA's dot kernel: a few flops per k-pass, not worth an ISA variant.
void gemm_store_dot_tile_f32(const float (&r)[4][4], float* c, int64_t ldc, int64_t m, int64_t n,
                             const GemmTile<float>& tile);
// The 4 row pointers of a dot tile's A and B operands; rows past m (n) repeat the last live row, so that
// every kernel reads whole vectors from valid memory (their sums are dropped).
void gemm_dot_rows_f32(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t m, int64_t n,
                       const float* (&ar)[4], const float* (&br)[4]);
void gemm_dot_f32__ref(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                       int64_t m, int64_t n, const GemmTile<float>& tile);
#ifdef FASTNN_X86_KERNELS
void gemm_dot_f32__avx2(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                        int64_t m, int64_t n, const GemmTile<float>& tile);
void gemm_dot_f32__avx512(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                          int64_t ldc, int64_t m, int64_t n, const GemmTile<float>& tile);
#endif

const KernelList<GemmConfigPtr<float>>& gemm_f32_kernels();
const KernelList<GemmDotKernel<float>>& gemm_dot_f32_kernels();
const KernelList<GemmConfigPtr<double>>& gemm_f64_kernels();

// Column sums of x (M rows, row stride rs, column stride cs) for columns [j0, j1): out[j] = (accumulate ?
// out[j] : 0) + sum_i x[i, j] (a Linear layer's bias gradient). Portable (cpu/ref/gemm_ref.cpp): the rows
// stream past partial sums kept in L1.
template <class T>
void sum_rows_columns(const T* x, int64_t M, int64_t rs, int64_t cs, int64_t j0, int64_t j1, T* out, bool accumulate);

}  // namespace fastnn
