// gemm_problem.h — one matrix product as raw pointers and element strides, the form in which the CPU
// driver (ops/gemm.cpp) and the CUDA launchers (cuda/gemm.cu) receive it:
//   C[M,N] = act(alpha * op(A)[M,K] · op(B)[K,N] + beta * C + bias_m[M] (per row) + bias_n[N] (per column))
#pragma once
#include <cstdint>

namespace fastnn {

template <class T>
struct GemmProblem {
  int64_t M, N, K;
  const T* a; int64_t a_rs, a_cs;  // op(A)(i, k) = a[i * a_rs + k * a_cs]
  const T* b; int64_t b_rs, b_cs;  // op(B)(k, j) = b[k * b_rs + j * b_cs]
  T* c; int64_t ldc;               // C(i, j) = c[i * ldc + j]
  T alpha, beta;                   // beta == 0: C is not read
  const T* bias_m; const T* bias_n;  // nullptr: none
  bool relu;
};

}  // namespace fastnn
