// gemm.h — CUDA GEMM launchers (cuda/gemm.cu). Raw device pointers; every launcher takes the stream to
// run on, returns at once for an empty C and checks the launch.
//   C[M,N] = act(alpha * op(A)[M,K] · op(B)[K,N] + beta * C + bias_m[M] (per row) + bias_n[N] (per column))
// op(A)(i, k) = a[i * a_rs + k * a_cs] with a_cs == 1 or a_rs == 1 (one of the two strides is 1: the
// ops layer copies anything else); the same for op(B)(k, j) = b[k * b_rs + j * b_cs]. C has rows of
// stride ldc, columns of stride 1. beta == 0: C is not read.
#pragma once
#include <cstdint>

#include "core/gemm_problem.h"
#include "cuda/launch.h"

namespace fastnn {
namespace cuda {

void gemm_f32(const GemmProblem<float>& g, cudaStream_t stream);
void gemm_f64(const GemmProblem<double>& g, cudaStream_t stream);

// out[j] (+)= sum_i x[i * rs + j * cs] for j < N: a Linear layer's bias gradient.
void sum_rows_f32(const float* x, int64_t M, int64_t N, int64_t rs, int64_t cs, float* out, bool accumulate,
                  cudaStream_t stream);
void sum_rows_f64(const double* x, int64_t M, int64_t N, int64_t rs, int64_t cs, double* out, bool accumulate,
                  cudaStream_t stream);

}  // namespace cuda
}  // namespace fastnn
