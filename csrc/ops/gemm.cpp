// gemm.cpp — the GEMM driver: BLIS blocking loops around a micro-kernel, threads over disjoint blocks of C.
// Loop nest of one block of C (all sizes from the kernel's GemmConfig):
//   jc over N by NC:   pc over K by KC:   pack op(B)[pc, jc] (KC x NC)       -> L3
//                                         ic over M by MC: pack op(A)[ic, pc] (MC x KC) -> L2
//                                                          jr by NR, ir by MR: micro-kernel (tile in registers)
// Threads: C is cut along one dimension into as many blocks as threads, each computed start to finish by
// one thread with its own packing buffers: no barrier inside a GEMM, at the price of each thread packing
// the operand it shares with the others. Cutting N duplicates the packing of A (M x K) and cutting M that
// of B (K x N), so the cut goes across the larger of M and N: at the training shapes (M = batch, small)
// the duplicated work is the small activations, never the weights.
#include "ops/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "core/memory.h"
#include "core/thread_pool.h"
#include "core/workspace.h"
#include "cpu/gemm.h"

namespace fastnn {
namespace {

// A thread's packing buffer (core/workspace.h), with the slack the packing routines may write past n.
template <class T>
T* scratch(int slot, int64_t n) {
  return thread_scratch<T>(slot == 0 ? Scratch::GemmPackA : Scratch::GemmPackB, n + kGemmPackSlack);
}

// One packed A block (rows ic.. ic+mb) against one packed B panel (columns jc.. jc+nb), K block pc.. pc+kb.
template <class T>
void macro_kernel(const GemmConfig<T>& cfg, const GemmProblem<T>& g, const T* pa, const T* pb, int64_t ic, int64_t mb,
                  int64_t jc, int64_t nb, int64_t pc, int64_t kb) {
  const bool last = pc + kb >= g.K;
  GemmTile<T> tile;
  tile.alpha = g.alpha;
  tile.beta = pc == 0 ? g.beta : T(1);
  tile.relu = last && g.relu;
  for (int64_t jr = 0; jr < nb; jr += cfg.nr) {
    tile.bias_n = last && g.bias_n ? g.bias_n + jc + jr : nullptr;
    for (int64_t ir = 0; ir < mb; ir += cfg.mr) {
      tile.bias_m = last && g.bias_m ? g.bias_m + ic + ir : nullptr;
      cfg.ukernel(kb, pa + ir * kb, pb + jr * kb, g.c + (ic + ir) * g.ldc + jc + jr, g.ldc,
                  std::min(cfg.mr, mb - ir), std::min(cfg.nr, nb - jr), tile);
    }
  }
}

template <class T>
void pack_a(const GemmConfig<T>& cfg, const GemmProblem<T>& g, int64_t ic, int64_t mb, int64_t pc, int64_t kb, T* pa) {
  cfg.pack(g.a + ic * g.a_rs + pc * g.a_cs, g.a_rs, g.a_cs, mb, kb, cfg.mr, pa);
}

// Columns jc.. jc+nb of op(B), K block pc.. pc+kb, into NR-column panels.
template <class T>
void pack_b(const GemmConfig<T>& cfg, const GemmProblem<T>& g, int64_t jc, int64_t nb, int64_t pc, int64_t kb, T* pb) {
  cfg.pack(g.b + pc * g.b_rs + jc * g.b_cs, g.b_cs, g.b_rs, nb, kb, cfg.nr, pb);
}

// A block of C computed start to finish by the calling thread, with its own packing buffers.
template <class T>
void gemm_block(const GemmConfig<T>& cfg, const GemmProblem<T>& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int64_t kc_max = std::min(cfg.kc, std::max<int64_t>(g.K, 1));
  const int64_t mc_max = std::min(cfg.mc, (m1 - m0 + cfg.mr - 1) / cfg.mr * cfg.mr);
  const int64_t nc_max = std::min(cfg.nc, (n1 - n0 + cfg.nr - 1) / cfg.nr * cfg.nr);
  T* pa = scratch<T>(0, mc_max * kc_max);
  T* pb = scratch<T>(1, nc_max * kc_max);
  for (int64_t jc = n0; jc < n1; jc += cfg.nc) {
    const int64_t nb = std::min(cfg.nc, n1 - jc);
    int64_t pc = 0;
    do {  // at least once: K == 0 still stores beta * C + bias
      const int64_t kb = std::min(cfg.kc, g.K - pc);
      pack_b(cfg, g, jc, nb, pc, kb, pb);
      for (int64_t ic = m0; ic < m1; ic += cfg.mc) {
        const int64_t mb = std::min(cfg.mc, m1 - ic);
        pack_a(cfg, g, ic, mb, pc, kb, pa);
        macro_kernel(cfg, g, pa, pb, ic, mb, jc, nb, pc, kb);
      }
      pc += kb;
    } while (pc < g.K);
  }
}

// Large products cut along M: the threads pack each B panel together into one shared buffer, then take
// A blocks of C's rows dynamically (a thread slowed down by a neighbour on its core takes fewer). Two
// fork-joins per B panel, instead of every thread packing all of B itself: at 1024^3 that duplicated
// packing was ~3% of the time, and one block per thread left the threads' finishing times to chance.
template <class T>
void gemm_shared_b(const GemmConfig<T>& cfg, const GemmProblem<T>& g, int threads) {
  const int64_t kc_max = std::min(cfg.kc, std::max<int64_t>(g.K, 1));
  const int64_t nc_max = std::min(cfg.nc, (g.N + cfg.nr - 1) / cfg.nr * cfg.nr);
  // blocks of rows: at least two per thread, at most MC rows
  const int64_t mc = std::min(cfg.mc, ((g.M + 2 * threads - 1) / (2 * threads) + cfg.mr - 1) / cfg.mr * cfg.mr);
  const int64_t blocks = (g.M + mc - 1) / mc;
  T* pb = scratch<T>(1, nc_max * kc_max);  // the calling thread's buffer, shared with the workers
  for (int64_t jc = 0; jc < g.N; jc += cfg.nc) {
    const int64_t nb = std::min(cfg.nc, g.N - jc);
    const int64_t panels = (nb + cfg.nr - 1) / cfg.nr;
    int64_t pc = 0;
    do {
      const int64_t kb = std::min(cfg.kc, g.K - pc);
      // Panels are independent: a thread packs whole panels (NR is a multiple of 8, so a panel's vector
      // stores never spill into its neighbour's; gemm_run checks).
      parallel_for(panels, 1, [&](int64_t p0, int64_t p1) {
        pack_b(cfg, g, jc + p0 * cfg.nr, std::min(nb, p1 * cfg.nr) - p0 * cfg.nr, pc, kb, pb + p0 * cfg.nr * kb);
      });
      parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
        T* pa = scratch<T>(0, mc * kc_max);
        for (int64_t b = b0; b < b1; ++b) {
          const int64_t ic = b * mc, mb = std::min(mc, g.M - ic);
          pack_a(cfg, g, ic, mb, pc, kb, pa);
          macro_kernel(cfg, g, pa, pb, ic, mb, jc, nb, pc, kb);
        }
      });
      pc += kb;
    } while (pc < g.K);
  }
}

// Below this much work a second thread costs more to wake (tens of microseconds) than it saves.
constexpr double kParallelMinFlops = 2e6;
// From this much work on, the shared-B scheme's extra fork-joins (two per B panel) are noise.
constexpr double kSharedPackMinFlops = 2e8;

template <class T>
void gemm_run(const GemmConfig<T>& cfg, const GemmProblem<T>& g) {
  const int threads = get_num_threads();
  const double flops = 2.0 * double(g.M) * double(g.N) * double(g.K);
  if (threads == 1 || flops < kParallelMinFlops) {
    return gemm_block(cfg, g, 0, g.M, 0, g.N);
  }
  // Cut where the threads' shares come out most even (whole micro-tiles each); on a near tie, across
  // the larger dimension (less duplicated packing, see the top of this file).
  auto balance = [threads](int64_t extent, int64_t unit) {
    const int64_t share = ((extent + unit - 1) / unit + threads - 1) / threads * unit;
    return double(extent) / double(share * threads);
  };
  const double bm = balance(g.M, cfg.mr), bn = balance(g.N, cfg.nr);
  const bool cut_n = bn > 1.1 * bm || (bm <= 1.1 * bn && g.N > g.M);
  if (!cut_n && flops >= kSharedPackMinFlops && cfg.nr % 8 == 0) return gemm_shared_b(cfg, g, threads);
  const int64_t unit = cut_n ? cfg.nr : cfg.mr;
  const int64_t extent = cut_n ? g.N : g.M;
  const int64_t units = (extent + unit - 1) / unit;
  const int64_t grain = (units + threads - 1) / threads;
  parallel_for(units, grain, [&](int64_t u0, int64_t u1) {
    const int64_t lo = u0 * unit, hi = std::min(u1 * unit, extent);
    if (cut_n) gemm_block(cfg, g, 0, g.M, lo, hi);
    else gemm_block(cfg, g, lo, hi, 0, g.N);
  });
}

// k per pass: 4 + 4 rows of 1024 floats (32 KiB) stay in L1 while the tile's 16 accumulators fill.
constexpr int64_t kDotKc = 1024;

void gemm_dot_block(GemmDotKernel<float> dot, const GemmProblem<float>& g, int64_t n0, int64_t n1) {
  int64_t pc = 0;
  do {  // at least once: K == 0 still stores beta * C + bias
    const int64_t kb = std::min(kDotKc, g.K - pc);
    const bool last = pc + kb >= g.K;
    GemmTile<float> tile;
    tile.alpha = g.alpha;
    tile.beta = pc == 0 ? g.beta : 1.f;
    tile.relu = last && g.relu;
    for (int64_t j = n0; j < n1; j += kGemmDotTile) {  // 4 rows of op(B)ᵀ stay in L1 ...
      tile.bias_n = last && g.bias_n ? g.bias_n + j : nullptr;
      for (int64_t i = 0; i < g.M; i += kGemmDotTile) {  // ... while all of A's rows pass by (from L2)
        tile.bias_m = last && g.bias_m ? g.bias_m + i : nullptr;
        dot(kb, g.a + i * g.a_rs + pc, g.a_rs, g.b + j * g.b_cs + pc, g.b_cs, g.c + i * g.ldc + j, g.ldc,
            std::min(kGemmDotTile, g.M - i), std::min(kGemmDotTile, n1 - j), tile);
      }
    }
    pc += kb;
  } while (pc < g.K);
}

void gemm_dot_run(GemmDotKernel<float> dot, const GemmProblem<float>& g) {
  const int threads = get_num_threads();
  if (threads == 1 || 2.0 * double(g.M) * double(g.N) * double(g.K) < kParallelMinFlops)
    return gemm_dot_block(dot, g, 0, g.N);
  constexpr int64_t unit = 16;  // columns of C per share: threads' shares do not split a cache line of C
  const int64_t units = (g.N + unit - 1) / unit;
  parallel_for(units, (units + threads - 1) / threads, [&](int64_t u0, int64_t u1) {
    gemm_dot_block(dot, g, u0 * unit, std::min(u1 * unit, g.N));
  });
}

// ---- prepacked B: blocks (jc by NC, pc by KC) in loop order, each block's NR-wide panels as pack_b makes them.
template <class T>
PackedGemmB<T> pack_b_typed(const GemmConfig<T>& cfg, int64_t K, int64_t N, const T* b, int64_t b_rs, int64_t b_cs) {
  PackedGemmB<T> out;
  out.config = &cfg;
  out.K = K;
  out.N = N;
  const int64_t blocks_n = (N + cfg.nc - 1) / cfg.nc;
  const int64_t total = (blocks_n - 1) * cfg.nc * K + ((N - (blocks_n - 1) * cfg.nc) + cfg.nr - 1) / cfg.nr * cfg.nr * K;
  const size_t bytes = (size_t(std::max<int64_t>(total, 1) + kGemmPackSlack) * sizeof(T) + 63) / 64 * 64;
  out.panels.reset(static_cast<T*>(std::aligned_alloc(64, bytes)));
  if (!out.panels) fail(ErrorKind::Runtime, "matmul: out of memory for ", bytes, " bytes of packed weights");
  GemmProblem<T> g{};
  g.K = K;
  g.N = N;
  g.b = b;
  g.b_rs = b_rs;
  g.b_cs = b_cs;
  for (int64_t jc = 0; jc < N; jc += cfg.nc) {
    const int64_t nb = std::min(cfg.nc, N - jc);
    for (int64_t pc = 0; pc < K; pc += cfg.kc) {
      const int64_t kb = std::min(cfg.kc, K - pc);
      // within a block: panel p of NR columns at p * NR * kb; blocks of K rows: pc * round_up(nb, NR)
      pack_b(cfg, g, jc, nb, pc, kb, out.panels.get() + jc * K + pc * ((nb + cfg.nr - 1) / cfg.nr * cfg.nr));
    }
  }
  return out;
}

// Columns n0.. n1 (multiples of NR, or N) of C with the packed B, on the calling thread.
template <class T>
void gemm_prepacked_block(const GemmConfig<T>& cfg, const GemmProblem<T>& g, const T* panels, int64_t n0, int64_t n1) {
  const int64_t kc_max = std::min(cfg.kc, std::max<int64_t>(g.K, 1));
  T* pa = scratch<T>(0, std::min(cfg.mc, (g.M + cfg.mr - 1) / cfg.mr * cfg.mr) * kc_max);
  for (int64_t jc = n0 / cfg.nc * cfg.nc; jc < n1; jc += cfg.nc) {
    const int64_t nb = std::min(cfg.nc, g.N - jc), nb_round = (nb + cfg.nr - 1) / cfg.nr * cfg.nr;
    const int64_t j0 = std::max(n0, jc), j1 = std::min(n1, jc + nb);  // this thread's columns of the block
    if (j0 >= j1) continue;
    int64_t pc = 0;
    do {  // at least once: K == 0 still stores beta * C + bias
      const int64_t kb = std::min(cfg.kc, g.K - pc);
      const T* block = panels + jc * g.K + pc * nb_round;
      for (int64_t ic = 0; ic < g.M; ic += cfg.mc) {
        const int64_t mb = std::min(cfg.mc, g.M - ic);
        pack_a(cfg, g, ic, mb, pc, kb, pa);
        macro_kernel(cfg, g, pa, block + (j0 - jc) * kb, ic, mb, j0, j1 - j0, pc, kb);
      }
      pc += kb;
    } while (pc < g.K);
  }
}

template <class T>
void gemm_prepacked_run(const GemmProblem<T>& g, const PackedGemmB<T>& b) {
  if (g.K != b.K || g.N != b.N)
    fail(ErrorKind::Runtime, "matmul: a (", g.M, " x ", g.K, ") product with packed weights of ", b.K, " x ", b.N);
  if (g.M == 0 || g.N == 0) return;
  const auto& cfg = *static_cast<const GemmConfig<T>*>(b.config);
  const int threads = get_num_threads();
  if (threads == 1 || 2.0 * double(g.M) * double(g.N) * double(g.K) < kParallelMinFlops)
    return gemm_prepacked_block(cfg, g, b.panels.get(), 0, g.N);
  // fixed shares of whole panels: share t always covers the same columns
  const int64_t panels = (g.N + cfg.nr - 1) / cfg.nr, per = (panels + threads - 1) / threads;
  parallel_for(threads, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      gemm_prepacked_block(cfg, g, b.panels.get(), std::min(g.N, t * per * cfg.nr), std::min(g.N, (t + 1) * per * cfg.nr));
  });
}

void check_on(const ArrayView& v, DeviceType device, const char* op, const char* arg) {
  if (v.device != device)
    fail(ErrorKind::Runtime, op, ": '", arg, "' must be on ", device_type_name(device), ", got ", v.describe());
}

void check_matrix(const ArrayView& v, DeviceType device, const char* op, const char* arg) {
  check_on(v, device, op, arg);
  if (v.shape.size() != 2)
    fail(ErrorKind::Value, op, ": '", arg, "' must be 2-dimensional, got ", v.describe());
}

void check_vector(const ArrayView& v, int64_t n, DType dtype, DeviceType device, const char* op, const char* arg) {
  check_on(v, device, op, arg);
  if (v.dtype != dtype)
    fail(ErrorKind::Type, op, ": '", arg, "' has dtype ", dtype_name(v.dtype), ", expected ", dtype_name(dtype));
  if (v.shape.size() != 1 || v.shape[0] != n)
    fail(ErrorKind::Runtime, op, ": '", arg, "' must have shape (", n, "), got ", v.describe());
  if (n > 1 && v.strides[0] != 1) fail(ErrorKind::Value, op, ": '", arg, "' must be contiguous");
}

template <class T>
void matmul_typed(const KernelList<GemmConfigPtr<T>>& list, const char* family, const GemmProblem<T>& g,
                  const std::string& kernel, const char* op) {
  if (g.M == 0 || g.N == 0) return;
  gemm_run(*pick_kernel(list, family, kernel, op).fn, g);
}

}  // namespace

int64_t check_matmul(const ArrayView& a, const ArrayView& b, const ArrayView& c, const ArrayView* bias_m,
                     const ArrayView* bias_n, const MatmulOptions& opt, DeviceType device, const MatmulNames& names) {
  const char* op = names.op;
  check_matrix(a, device, op, names.a);
  check_matrix(b, device, op, names.b);
  check_matrix(c, device, op, names.out);
  if (a.device_index != c.device_index || b.device_index != c.device_index)
    fail(ErrorKind::Runtime, op, ": arrays on different devices: ", names.a, " ", a.describe(), ", ", names.b, " ",
         b.describe(), ", ", names.out, " ", c.describe());
  if (a.dtype != b.dtype || a.dtype != c.dtype)
    fail(ErrorKind::Type, op, ": dtypes differ: ", names.a, " is ", dtype_name(a.dtype), ", ", names.b, " is ",
         dtype_name(b.dtype), ", ", names.out, " is ", dtype_name(c.dtype));
  const int64_t M = opt.trans_a ? a.shape[1] : a.shape[0], K = opt.trans_a ? a.shape[0] : a.shape[1];
  const int64_t Kb = opt.trans_b ? b.shape[1] : b.shape[0], N = opt.trans_b ? b.shape[0] : b.shape[1];
  if (K != Kb)
    fail(ErrorKind::Runtime, op, ": shapes cannot be multiplied: op(", names.a, ") is (", M, ", ", K, ") and op(",
         names.b, ") is (", Kb, ", ", N, ")");
  if (c.shape[0] != M || c.shape[1] != N)
    fail(ErrorKind::Runtime, op, ": '", names.out, "' must have shape (", M, ", ", N, "), got ", c.describe());
  if ((N > 1 && c.strides[1] != 1) || (M > 1 && c.strides[0] < N))
    fail(ErrorKind::Value, op, ": '", names.out, "' must have contiguous rows that do not overlap, got strides (",
         c.strides[0], ", ", c.strides[1], ")");
  check_writable(c, op, names.out);
  check_disjoint(c, names.out, a, names.a, op);
  check_disjoint(c, names.out, b, names.b, op);
  if (bias_m) {
    check_vector(*bias_m, M, c.dtype, device, op, "bias_m");
    check_disjoint(c, names.out, *bias_m, "bias_m", op);
  }
  if (bias_n) {
    check_vector(*bias_n, N, c.dtype, device, op, "bias_n");
    check_disjoint(c, names.out, *bias_n, "bias_n", op);
  }
  return K;
}

void gemm(const GemmProblem<float>& g, const std::string& kernel, const char* op) {
  const bool dot_layout = g.a_cs == 1 && g.b_rs == 1;
  const bool forced_dot = kernel.rfind("gemm_dot_", 0) == 0;
  if (forced_dot && !dot_layout)
    fail(ErrorKind::Value, op, ": kernel ", kernel, " needs the rows of op(a) and of op(b)ᵀ contiguous along k");
  if (forced_dot || (kernel.empty() && dot_layout && g.M <= kGemmDotMaxM)) {
    if (g.M > 0 && g.N > 0) gemm_dot_run(pick_kernel(gemm_dot_f32_kernels(), "gemm_dot_f32", kernel, op).fn, g);
    return;
  }
  matmul_typed(gemm_f32_kernels(), "gemm_f32", g, kernel, op);
}

void gemm(const GemmProblem<double>& g, const std::string& kernel, const char* op) {
  matmul_typed(gemm_f64_kernels(), "gemm_f64", g, kernel, op);
}

void matmul(const ArrayView& a, const ArrayView& b, const ArrayView& c, const ArrayView* bias_m,
            const ArrayView* bias_n, const MatmulOptions& opt, const std::string& kernel, const MatmulNames& names) {
  const int64_t K = check_matmul(a, b, c, bias_m, bias_n, opt, DeviceType::CPU, names);
  if (c.dtype == DType::Float32) gemm(make_gemm_problem<float>(a, b, c, bias_m, bias_n, opt, K), kernel, names.op);
  else gemm(make_gemm_problem<double>(a, b, c, bias_m, bias_n, opt, K), kernel, names.op);
}

namespace {

template <class T>
void sum_rows_typed(const ArrayView& x, const ArrayView& out, bool accumulate) {
  // Columns in chunks of 256: each chunk's partial sums stay in L1 while the rows stream by.
  parallel_for(x.shape[1], 256, [&](int64_t j0, int64_t j1) {
    sum_rows_columns(x.as<const T>(), x.shape[0], x.strides[0], x.strides[1], j0, j1, out.as<T>(), accumulate);
  });
}

}  // namespace

void check_sum_rows(const ArrayView& x, const ArrayView& out, DeviceType device, const char* op, const char* x_name,
                    const char* out_name) {
  check_matrix(x, device, op, x_name);
  check_vector(out, x.shape[1], x.dtype, device, op, out_name);
  check_writable(out, op, out_name);
  check_disjoint(out, out_name, x, x_name, op);
}

// Everything before any output is written, in Linear's terms (gy: (B, O), x: (B, I), w: (O, I)).
void check_linear_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                           const ArrayView* gw, const ArrayView* gb, DeviceType device) {
  const char* op = "linear_backward";
  check_matrix(gy, device, op, "grad_output");
  check_matrix(x, device, op, "input");
  check_matrix(w, device, op, "weight");
  if (x.shape[1] != w.shape[1])
    fail(ErrorKind::Runtime, op, ": input has ", x.shape[1], " features but weight has in_features=", w.shape[1],
         " (input ", x.describe(), ", weight ", w.describe(), ")");
  if (gy.shape[0] != x.shape[0] || gy.shape[1] != w.shape[0])
    fail(ErrorKind::Runtime, op, ": 'grad_output' must have shape (", x.shape[0], ", ", w.shape[0], "), got ",
         gy.describe());
  MatmulOptions opt;
  if (gx) check_matmul(gy, w, *gx, nullptr, nullptr, opt, device, kLinearGradInputNames);
  opt.trans_a = true;
  if (gw) check_matmul(gy, x, *gw, nullptr, nullptr, opt, device, kLinearGradWeightNames);
  if (gb) check_sum_rows(gy, *gb, device, op, "grad_output", "grad_bias");
}

void sum_rows(const ArrayView& x, const ArrayView& out, bool accumulate) {
  check_sum_rows(x, out, DeviceType::CPU);
  if (x.dtype == DType::Float32) sum_rows_typed<float>(x, out, accumulate);
  else sum_rows_typed<double>(x, out, accumulate);
}

void linear_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                     const ArrayView* gw, const ArrayView* gb, const std::string& kernel) {
  check_linear_backward(gy, x, w, gx, gw, gb, DeviceType::CPU);
  MatmulOptions opt;
  if (gx) matmul(gy, w, *gx, nullptr, nullptr, opt, kernel, kLinearGradInputNames);  // (B, O) · (O, I)
  opt.trans_a = true;
  if (gw) matmul(gy, x, *gw, nullptr, nullptr, opt, kernel, kLinearGradWeightNames);  // (B, O)ᵀ · (B, I)
  if (gb) sum_rows(gy, *gb, false);
}

PackedGemmB<float> pack_gemm_b(int64_t K, int64_t N, const float* b, int64_t b_rs, int64_t b_cs,
                               const std::string& kernel) {
  return pack_b_typed(*pick_kernel(gemm_f32_kernels(), "gemm_f32", kernel, "matmul").fn, K, N, b, b_rs, b_cs);
}
PackedGemmB<double> pack_gemm_b(int64_t K, int64_t N, const double* b, int64_t b_rs, int64_t b_cs,
                                const std::string& kernel) {
  return pack_b_typed(*pick_kernel(gemm_f64_kernels(), "gemm_f64", kernel, "matmul").fn, K, N, b, b_rs, b_cs);
}
void gemm_prepacked(const GemmProblem<float>& g, const PackedGemmB<float>& b) { gemm_prepacked_run(g, b); }
void gemm_prepacked(const GemmProblem<double>& g, const PackedGemmB<double>& b) { gemm_prepacked_run(g, b); }

}  // namespace fastnn
