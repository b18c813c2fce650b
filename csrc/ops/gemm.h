// gemm.h — matrix product entry points: validate the views, pick the micro-kernel, split the work.
// `kernel` forces a registered variant by name (tests, benchmarks); empty picks the best allowed.
#pragma once
#include <cstdlib>
#include <memory>
#include <string>

#include "core/array_view.h"
#include "core/gemm_problem.h"

namespace fastnn {

struct MatmulOptions {
  bool trans_a = false, trans_b = false;
  double alpha = 1, beta = 0;  // beta == 0: c is write-only
  bool relu = false;
};

// What a product's errors call its op and operands: matmul's own, or those of an op built on it.
struct MatmulNames {
  const char* op = "matmul";
  const char* a = "a";
  const char* b = "b";
  const char* out = "out";
};
// Linear's backward products: grad_input = grad_output·weight, grad_weight = grad_outputᵀ·input.
constexpr MatmulNames kLinearGradInputNames{"linear_backward", "grad_output", "weight", "grad_input"};
constexpr MatmulNames kLinearGradWeightNames{"linear_backward", "grad_output", "input", "grad_weight"};

// c = act(alpha * op(a)·op(b) + beta * c + bias_m[:, None] + bias_n[None, :]), op(x) = xᵀ if trans_x.
// a, b: 2-d, any strides (transposed, sliced, expanded views are read in place). c: 2-d, rows contiguous
// (stride 1 along columns), disjoint from every input. bias_m: [M] or null, bias_n: [N] or null, stride 1.
void matmul(const ArrayView& a, const ArrayView& b, const ArrayView& c, const ArrayView* bias_m,
            const ArrayView* bias_n, const MatmulOptions& opt, const std::string& kernel = "",
            const MatmulNames& names = {});

// Products in Linear's layout (rows of op(a) and op(b)ᵀ contiguous along k) with at most this many rows
// run the inner-product kernels (cpu/gemm.h, GemmDotKernel) unless a kernel is forced.
constexpr int64_t kGemmDotMaxM = 128;

// The product of an already-checked problem (other ops build their own: conv2d through im2col). Runs in
// parallel unless called from inside a parallel region (then on the calling thread). `op` names the
// errors of a forced `kernel`.
void gemm(const GemmProblem<float>& g, const std::string& kernel = "", const char* op = "matmul");
void gemm(const GemmProblem<double>& g, const std::string& kernel = "", const char* op = "matmul");

// op(B) (K x N) packed once into the micro-kernel's panels, for many products that share it: an RNN's
// recurrent weights at every time step. Products with it (gemm_prepacked) skip B's packing and split N
// across threads in fixed shares (each thread's share of the panels stays in its core's L2 from one call
// to the next). Float32 picks the best allowed micro-kernel (or `kernel`), float64 the reference one.
template <class T>
struct PackedGemmB {
  const void* config = nullptr;  // the GemmConfig<T> the panels were packed for
  int64_t K = 0, N = 0;
  std::unique_ptr<T[], decltype(&std::free)> panels{nullptr, &std::free};
};
PackedGemmB<float> pack_gemm_b(int64_t K, int64_t N, const float* b, int64_t b_rs, int64_t b_cs,
                               const std::string& kernel = "");
PackedGemmB<double> pack_gemm_b(int64_t K, int64_t N, const double* b, int64_t b_rs, int64_t b_cs,
                                const std::string& kernel = "");
// g's product with op(B) = the packed one (g.b and its strides are ignored; g.K and g.N must match it).
void gemm_prepacked(const GemmProblem<float>& g, const PackedGemmB<float>& b);
void gemm_prepacked(const GemmProblem<double>& g, const PackedGemmB<double>& b);

// The checks of matmul / sum_rows / linear_backward, for arrays on `device` (the CUDA ops share them).
// check_matmul returns K.
int64_t check_matmul(const ArrayView& a, const ArrayView& b, const ArrayView& c, const ArrayView* bias_m,
                     const ArrayView* bias_n, const MatmulOptions& opt, DeviceType device,
                     const MatmulNames& names = {});
void check_sum_rows(const ArrayView& x, const ArrayView& out, DeviceType device, const char* op = "sum_rows",
                    const char* x_name = "x", const char* out_name = "out");
void check_linear_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                           const ArrayView* gw, const ArrayView* gb, DeviceType device);

// The views of a checked matmul (check_matmul returned K) as pointers and strides.
template <class T>
GemmProblem<T> make_gemm_problem(const ArrayView& a, const ArrayView& b, const ArrayView& c, const ArrayView* bias_m,
                                 const ArrayView* bias_n, const MatmulOptions& opt, int64_t K) {
  GemmProblem<T> g;
  g.M = c.shape[0];
  g.N = c.shape[1];
  g.K = K;
  g.a = a.as<const T>();
  g.a_rs = opt.trans_a ? a.strides[1] : a.strides[0];
  g.a_cs = opt.trans_a ? a.strides[0] : a.strides[1];
  g.b = b.as<const T>();
  g.b_rs = opt.trans_b ? b.strides[1] : b.strides[0];
  g.b_cs = opt.trans_b ? b.strides[0] : b.strides[1];
  g.c = c.as<T>();
  g.ldc = c.strides[0];
  g.alpha = T(opt.alpha);
  g.beta = T(opt.beta);
  g.bias_m = bias_m ? bias_m->as<const T>() : nullptr;
  g.bias_n = bias_n ? bias_n->as<const T>() : nullptr;
  g.relu = opt.relu;
  return g;
}

// out[j] (+)= sum_i x[i, j]: the bias gradient of a Linear layer. x: 2-d, any strides; out: [N], stride 1.
void sum_rows(const ArrayView& x, const ArrayView& out, bool accumulate);

// Gradients of y = x·wᵀ + b (x: (B, I), w: (O, I), gy: (B, O)): gx = gy·w, gw = gyᵀ·x, gb = column sums
// of gy. Each output may be null (not computed).
void linear_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                     const ArrayView* gw, const ArrayView* gb, const std::string& kernel = "");

}  // namespace fastnn
