// gemm_cuda.cpp — the CUDA side of ops/gemm.h: the same checks, then the launchers of cuda/gemm.h.
#include "ops/cuda.h"

#include "core/error.h"
#include "cuda/gemm.h"
#include "ops/gemm.h"

namespace fastnn {
namespace cuda {

namespace {

template <class T>
GemmProblem<T> gemm_args(const ArrayView& a, const ArrayView& b, const ArrayView& c, const ArrayView* bias_m,
                      const ArrayView* bias_n, const MatmulOptions& opt, int64_t K) {
  GemmProblem<T> g = make_gemm_problem<T>(a, b, c, bias_m, bias_n, opt, K);
  // A size-1 dimension's stride is arbitrary: call it 1 when the kernel needs one unit stride.
  if (g.a_rs != 1 && g.a_cs != 1) (g.M == 1 ? g.a_rs : g.a_cs) = 1;
  if (g.b_rs != 1 && g.b_cs != 1) (g.N == 1 ? g.b_cs : g.b_rs) = 1;
  return g;
}

bool has_unit_stride(const ArrayView& v) {
  return v.strides[0] == 1 || v.strides[1] == 1 || v.shape[0] <= 1 || v.shape[1] <= 1;
}

}  // namespace

void matmul(const ArrayView& a, const ArrayView& b, const ArrayView& c, const ArrayView* bias_m,
            const ArrayView* bias_n, const MatmulOptions& opt, cudaStream_t stream, const MatmulNames& names) {
  const int64_t K = check_matmul(a, b, c, bias_m, bias_n, opt, kArrayDevice, names);
  if (!has_unit_stride(a) || !has_unit_stride(b))
    fail(ErrorKind::Value, names.op, ": on CUDA, '", names.a, "' and '", names.b,
         "' need a unit stride in one dimension (got strides (", a.strides[0], ", ", a.strides[1], ") and (",
         b.strides[0], ", ", b.strides[1], "))");
  if (c.dtype == DType::Float32) gemm_f32(gemm_args<float>(a, b, c, bias_m, bias_n, opt, K), stream);
  else gemm_f64(gemm_args<double>(a, b, c, bias_m, bias_n, opt, K), stream);
}

void sum_rows(const ArrayView& x, const ArrayView& out, bool accumulate, cudaStream_t stream) {
  check_sum_rows(x, out, kArrayDevice);
  const int64_t M = x.shape[0], N = x.shape[1];
  if (x.dtype == DType::Float32)
    sum_rows_f32(x.as<const float>(), M, N, x.strides[0], x.strides[1], out.as<float>(), accumulate, stream);
  else
    sum_rows_f64(x.as<const double>(), M, N, x.strides[0], x.strides[1], out.as<double>(), accumulate, stream);
}

void linear_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                     const ArrayView* gw, const ArrayView* gb, cudaStream_t stream) {
  check_linear_backward(gy, x, w, gx, gw, gb, kArrayDevice);
  MatmulOptions opt;
  if (gx) matmul(gy, w, *gx, nullptr, nullptr, opt, stream, kLinearGradInputNames);  // (B, O) · (O, I)
  opt.trans_a = true;
  if (gw) matmul(gy, x, *gw, nullptr, nullptr, opt, stream, kLinearGradWeightNames);  // (B, O)ᵀ · (B, I)
  if (gb) sum_rows(gy, *gb, false, stream);
}

}  // namespace cuda
}  // namespace fastnn
