// gemm.cu — tiled GEMM on CUDA; the same source runs on the CPU through the SIMT emulator.
//   C[M,N] = act(alpha * op(A)·op(B) + beta * C + bias_m + bias_n)   (cuda/gemm.h has the contract)
// Scheme: a block of 256 threads computes a BM x BN tile of C, walking K in steps of BK = 8. Each step's
// A (BM x BK) and B (BK x BN) tiles are staged in shared memory, k-major, double-buffered: the global
// loads of step t+1 are issued into registers before step t's arithmetic, and stored to the other buffer
// after it, so one __syncthreads per step suffices. Each thread keeps a TM x TN tile of C in registers
// (an outer product of TM values of A and TN of B per k: TM*TN FMAs for TM+TN shared-memory loads).
// Global loads are 16-byte vectors (float4 / double2) along whichever dimension of the operand is
// contiguous, when the operand is 16-byte aligned with a leading dimension that keeps it so; partial
// tiles at the edges load element by element with bounds checks (zeros outside).
// variants: float 128x128 tiles, 8x8 per thread; double 64x64, 4x4 per thread (the register budget).
// bench: fastnn-bench --filter matmul (GPU columns when a GPU is present)
#include "cuda/gemm.h"

#include <cstdint>

#include "core/error.h"

namespace fastnn {
namespace cuda {
namespace {

constexpr int kBK = 8;
constexpr int kThreads = 256;

template <class T> struct Vec;
template <> struct Vec<float> {
  static constexpr int n = 4;
  __device__ __forceinline__ static void load(const float* p, float (&v)[4]) {
    const float4 q = *reinterpret_cast<const float4*>(p);
    v[0] = q.x; v[1] = q.y; v[2] = q.z; v[3] = q.w;
  }
};
template <> struct Vec<double> {
  static constexpr int n = 2;
  __device__ __forceinline__ static void load(const double* p, double (&v)[2]) {
    const double2 q = *reinterpret_cast<const double2*>(p);
    v[0] = q.x; v[1] = q.y;
  }
};

// One thread's share of a BR x BK tile of an operand whose element (r, k) is p[r * rs + k * cs]:
// a group of V consecutive elements along the contiguous dimension (k if KCONTIG, else r).
// BR * BK == kThreads * V: every thread loads exactly one group per step.
template <class T, int BR, bool KCONTIG>
struct TileLoader {
  static constexpr int V = Vec<T>::n;
  static_assert(BR * kBK == kThreads * V, "one group per thread");
  int r, k;

  __device__ explicit TileLoader(int tid)
      : r(KCONTIG ? tid / (kBK / V) : (tid % (BR / V)) * V), k(KCONTIG ? (tid % (kBK / V)) * V : tid / (BR / V)) {}

  __device__ void load(const T* p, int64_t rs, int64_t cs, int64_t R, int64_t K, int64_t r0, int64_t k0, bool vec,
                       T (&v)[V]) const {
    const int64_t gr = r0 + r, gk = k0 + k;
    if (KCONTIG) {
      if (vec && gr < R && gk + V <= K) return Vec<T>::load(p + gr * rs + gk, v);
#pragma unroll
      for (int e = 0; e < V; ++e) v[e] = gr < R && gk + e < K ? p[gr * rs + gk + e] : T(0);
    } else {
      if (vec && gk < K && gr + V <= R) return Vec<T>::load(p + gr + gk * cs, v);
#pragma unroll
      for (int e = 0; e < V; ++e) v[e] = gk < K && gr + e < R ? p[gr + e + gk * cs] : T(0);
    }
  }

  __device__ void store(T (*tile)[BR], const T (&v)[V]) const {  // tile: [kBK][BR], k-major
#pragma unroll
    for (int e = 0; e < V; ++e) {
      if (KCONTIG) tile[k + e][r] = v[e];
      else tile[k][r + e] = v[e];
    }
  }
};

template <class T, int BM, int BN, int TM, int TN, bool A_KCONTIG, bool B_KCONTIG>
__global__ void __launch_bounds__(kThreads, 2) gemm_kernel(GemmProblem<T> g, bool vec_a, bool vec_b) {
  static_assert((BM / TM) * (BN / TN) == kThreads, "one TM x TN tile of C per thread");
  constexpr int V = Vec<T>::n;
  __shared__ T As[2][kBK][BM];
  __shared__ T Bs[2][kBK][BN];

  const int tid = int(threadIdx.x);
  const int tx = tid % (BN / TN), ty = tid / (BN / TN);
  const int64_t m0 = int64_t(blockIdx.y) * BM, n0 = int64_t(blockIdx.x) * BN;
  // op(A) as rows i, depth k; op(B) as rows j, depth k (its element (k, j) is b[j * b_cs + k * b_rs]).
  const TileLoader<T, BM, A_KCONTIG> la(tid);
  const TileLoader<T, BN, B_KCONTIG> lb(tid);

  T acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = T(0);

  const int64_t steps = (g.K + kBK - 1) / kBK;
  T va[V], vb[V];
  if (steps > 0) {
    la.load(g.a, g.a_rs, g.a_cs, g.M, g.K, m0, 0, vec_a, va);
    lb.load(g.b, g.b_cs, g.b_rs, g.N, g.K, n0, 0, vec_b, vb);
    la.store(As[0], va);
    lb.store(Bs[0], vb);
    __syncthreads();
  }
  for (int64_t t = 0; t < steps; ++t) {
    const int buf = int(t & 1);
    const bool more = t + 1 < steps;
    if (more) {  // next step's loads in flight during this step's arithmetic
      la.load(g.a, g.a_rs, g.a_cs, g.M, g.K, m0, (t + 1) * kBK, vec_a, va);
      lb.load(g.b, g.b_cs, g.b_rs, g.N, g.K, n0, (t + 1) * kBK, vec_b, vb);
    }
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      T a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; ++i) a[i] = As[buf][kk][ty * TM + i];
#pragma unroll
      for (int j = 0; j < TN; ++j) b[j] = Bs[buf][kk][tx * TN + j];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] += a[i] * b[j];
    }
    if (more) {  // the other buffer was last read in step t - 1, before that step's barrier
      la.store(As[buf ^ 1], va);
      lb.store(Bs[buf ^ 1], vb);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int64_t row = m0 + ty * TM + i;
    if (row >= g.M) continue;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int64_t col = n0 + tx * TN + j;
      if (col >= g.N) continue;
      T* cp = g.c + row * g.ldc + col;
      T v = g.alpha * acc[i][j];
      if (g.beta != T(0)) v += g.beta * *cp;
      if (g.bias_m) v += g.bias_m[row];
      if (g.bias_n) v += g.bias_n[col];
      *cp = g.relu && v < T(0) ? T(0) : v;
    }
  }
}

// Whether an operand's vector loads along its contiguous dimension stay 16-byte aligned.
template <class T>
bool vector_loads_ok(const T* p, int64_t lead) {
  return reinterpret_cast<uintptr_t>(p) % 16 == 0 && (lead * int64_t(sizeof(T))) % 16 == 0;
}

template <class T, int BM, int BN, int TM, int TN>
void gemm_launch(const GemmProblem<T>& g, cudaStream_t stream) {
  if (g.M <= 0 || g.N <= 0) return;
  const int64_t grid_y = (g.M + BM - 1) / BM, grid_x = (g.N + BN - 1) / BN;
  if (grid_y > 65535 || grid_x > 2147483647)
    fail(ErrorKind::Runtime, "matmul: C has more rows or columns than one launch grid covers");
  const dim3 grid{unsigned(grid_x), unsigned(grid_y)};
  const bool a_k = g.a_cs == 1, b_k = g.b_rs == 1;  // contiguous along k
  // the stride between vectors: rows of a k-contiguous operand, k-rows otherwise
  const bool vec_a = vector_loads_ok(g.a, a_k ? g.a_rs : g.a_cs);
  const bool vec_b = vector_loads_ok(g.b, b_k ? g.b_cs : g.b_rs);
  if (a_k && b_k) FASTNN_LAUNCH((gemm_kernel<T, BM, BN, TM, TN, true, true>), grid, kThreads, 0, stream, g, vec_a, vec_b);
  else if (a_k) FASTNN_LAUNCH((gemm_kernel<T, BM, BN, TM, TN, true, false>), grid, kThreads, 0, stream, g, vec_a, vec_b);
  else if (b_k) FASTNN_LAUNCH((gemm_kernel<T, BM, BN, TM, TN, false, true>), grid, kThreads, 0, stream, g, vec_a, vec_b);
  else FASTNN_LAUNCH((gemm_kernel<T, BM, BN, TM, TN, false, false>), grid, kThreads, 0, stream, g, vec_a, vec_b);
  FASTNN_CUDA_CHECK(cudaGetLastError());
}

// One thread per column, rows in order: neighbouring threads read neighbouring columns (coalesced when
// cs == 1), and the sum's order is the CPU's.
template <class T>
__global__ void sum_rows_kernel(const T* x, int64_t M, int64_t N, int64_t rs, int64_t cs, T* out, bool accumulate) {
  const int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= N) return;
  T s = accumulate ? out[j] : T(0);
  for (int64_t i = 0; i < M; ++i) s += x[i * rs + j * cs];
  out[j] = s;
}

template <class T>
void sum_rows_launch(const T* x, int64_t M, int64_t N, int64_t rs, int64_t cs, T* out, bool accumulate,
                     cudaStream_t stream) {
  if (N <= 0) return;
  FASTNN_LAUNCH(sum_rows_kernel<T>, unsigned((N + kThreads - 1) / kThreads), kThreads, 0, stream, x, M, N, rs, cs,
                out, accumulate);
  FASTNN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void sum_rows_f32(const float* x, int64_t M, int64_t N, int64_t rs, int64_t cs, float* out, bool accumulate,
                  cudaStream_t stream) {
  sum_rows_launch(x, M, N, rs, cs, out, accumulate, stream);
}
void sum_rows_f64(const double* x, int64_t M, int64_t N, int64_t rs, int64_t cs, double* out, bool accumulate,
                  cudaStream_t stream) {
  sum_rows_launch(x, M, N, rs, cs, out, accumulate, stream);
}

void gemm_f32(const GemmProblem<float>& g, cudaStream_t stream) { gemm_launch<float, 128, 128, 8, 8>(g, stream); }
void gemm_f64(const GemmProblem<double>& g, cudaStream_t stream) { gemm_launch<double, 64, 64, 4, 4>(g, stream); }

}  // namespace cuda
}  // namespace fastnn
