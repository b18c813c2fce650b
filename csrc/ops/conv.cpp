// conv.cpp — conv2d forward and backward as GEMMs over im2col'd images (cpu/im2col.h, ops/gemm.h).
// Per block of B images and group g (Og = Cout / groups, K = Cin/groups * KH * KW, P = OH * OW, the
// images' cols side by side: col is K x B*P, and dy's rows are gathered the same way into dY, Og x B*P):
//   forward:  Y (Og x B*P)   = W_g (Og x K) · col + bias, rows scattered to y[n, g]  (bias in the GEMM's store)
//   input:    dcol (K x B*P) = W_gᵀ · dY;  dx[n, g] = col2im(dcol's columns of image n)
//   weight:   dW_g (Og x K) += dY · colᵀ                  (Linear's layout: the unpacked kernel, k = B*P long)
//   bias:     db_g          += row sums of dY
// Blocks of images, rather than one image per GEMM: at the MNIST CNN's 14x14 outputs P = 196 fills three
// 64-wide register tiles and 6% of a fourth (B*P = 784 fills 12.25), and the weight gradient's inner
// products get 4x longer. B keeps col within ~768 KiB (L2) and leaves at least two blocks per thread.
// Threads take (block, group) units; each GEMM runs on its thread. Weight and bias gradients go to one
// buffer per thread, summed in a fixed order at the end (deterministic for a thread count).
// A 1x1 convolution with stride 1 and no padding needs no im2col: the image is its own col (B = 1).
// bench: fastnn-bench --filter conv
#include "ops/conv.h"

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "core/workspace.h"
#include "cpu/conv_direct.h"
#include "cpu/im2col.h"
#include "ops/gemm.h"

namespace fastnn {
namespace {

// A thread's scratch buffers (backward needs col, dcol and the gathered dY at once; core/workspace.h).
template <class T>
T* col_buffer(int slot, int64_t n) {
  constexpr Scratch kSlots[3] = {Scratch::ConvCol, Scratch::ConvDcol, Scratch::ConvDy};
  return thread_scratch<T>(kSlots[slot], n);
}

// 32 independent partial sums: one running sum would be a chain of dependent adds (4 cycles each),
// 30 us per MNIST image; eight (two SSE vectors) still left the bias gradient of MNIST conv1 (6.4 MB of
// gy) at 0.05 ms of its 0.2; 32 (eight vectors in flight) keep the adders busy.
template <class T>
T row_sum(const T* x, int64_t n) {
  constexpr int kParts = 32;
  T part[kParts] = {};
  int64_t i = 0;
  for (; i + kParts <= n; i += kParts)
    for (int u = 0; u < kParts; ++u) part[u] += x[i + u];
  for (int w = kParts / 2; w > 0; w /= 2)
    for (int u = 0; u < w; ++u) part[u] += part[u + w];
  T sum = part[0];
  for (; i < n; ++i) sum += x[i];
  return sum;
}


Conv2dShape shapes_of(const ArrayView& x, const ArrayView& w, const Conv2dParams& p, const char* op) {
  if (x.shape.size() != 4) fail(ErrorKind::Runtime, op, ": input must be 4-d (N, C, H, W), got ", x.describe());
  if (w.shape.size() != 4)
    fail(ErrorKind::Runtime, op, ": weight must be 4-d (C_out, C_in / groups, KH, KW), got ", w.describe());
  if (p.groups < 1) fail(ErrorKind::Runtime, op, ": non-positive groups is not supported");
  Conv2dShape s;
  s.N = x.shape[0], s.Cin = x.shape[1], s.H = x.shape[2], s.W = x.shape[3];
  s.Cout = w.shape[0], s.Cg = w.shape[1], s.KH = w.shape[2], s.KW = w.shape[3];
  if (s.Cin != s.Cg * p.groups)
    fail(ErrorKind::Runtime, op, ": expected input with ", s.Cg * p.groups, " channels (weight ", w.describe(),
         ", groups=", p.groups, "), got ", x.describe());
  if (s.Cout % p.groups != 0)
    fail(ErrorKind::Runtime, op, ": out_channels ", s.Cout, " is not divisible by groups=", p.groups);
  s.Og = s.Cout / p.groups;
  conv2d_output_size(s.H, s.W, s.KH, s.KW, p, s.OH, s.OW, op);
  s.K = s.Cg * s.KH * s.KW;
  s.P = s.OH * s.OW;
  s.geo = ConvGeometry{s.Cg, s.H, s.W, s.KH, s.KW, p.stride_h, p.stride_w, p.pad_top, p.pad_left,
                       p.dilation_h, p.dilation_w, s.OH, s.OW};
  s.direct = s.KH == 1 && s.KW == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 && p.pad_left == 0 &&
             s.OH == s.H && s.OW == s.W;
  return s;
}

void check_tensor(const ArrayView& v, DType dtype, const std::vector<int64_t>& shape, const char* op, const char* arg,
                  DeviceType device) {
  check_contiguous_on(v, device, op, arg);
  if (v.dtype != dtype) fail(ErrorKind::Type, op, ": '", arg, "' has dtype ", dtype_name(v.dtype), ", expected ", dtype_name(dtype));
  if (v.shape != shape) {
    std::string want;
    for (int64_t d : shape) want += (want.empty() ? "" : ", ") + std::to_string(d);
    fail(ErrorKind::Runtime, op, ": '", arg, "' must have shape (", want, "), got ", v.describe());
  }
}

template <class T>
GemmProblem<T> problem(int64_t M, int64_t N, int64_t K, const T* a, int64_t a_rs, int64_t a_cs, const T* b,
                       int64_t b_rs, int64_t b_cs, T* c, int64_t ldc, T beta, const T* bias_m) {
  return GemmProblem<T>{M, N, K, a, a_rs, a_cs, b, b_rs, b_cs, c, ldc, T(1), beta, bias_m, nullptr, false};
}

// Images per block (see the top of this file).
int64_t images_per_block(const Conv2dShape& s, int threads) {
  // Wide outputs already fill the register tiles (and the weight gradient's inner products are long):
  // blocking would only add the gather/scatter copies (measured: MNIST conv1, P = 784, 0.20 -> 0.27 ms).
  if (s.direct || s.P >= 512) return 1;
  constexpr int64_t kColFloats = 192 * 1024;
  const int64_t by_cache = std::max<int64_t>(1, kColFloats / std::max<int64_t>(1, s.K * s.P));
  const int64_t by_threads = std::max<int64_t>(1, (s.N + 2 * threads - 1) / (2 * threads));
  return std::min({by_cache, by_threads, s.N});
}

// ---- The direct route (cpu/conv_direct.h): float32, stride 1, output rows as wide as the input's. ----
// For many channels on small images it beats im2col + GEMM: no col buffer to write and pack, and the
// image's planes are read in place (MNIST conv2, 64x32x14x14 -> 64: see the bench).

bool direct_applies(const Conv2dShape& s, const Conv2dParams& p) {
  return p.stride_h == 1 && p.stride_w == 1 && s.OW == s.W && !s.direct && s.P > 0;
}

// Tap offsets and lane masks of a stride-1 correlation: output (q = oh * W + ow, OH x W) reads input
// (oh + dy[kh], ow + dx[kw]) of an (IH x W) plane, where that lies inside it.
struct DirectPlan {
  std::vector<int64_t> shift;
  std::vector<uint16_t> mask;
};

DirectPlan direct_plan(int64_t IH, int64_t OH, int64_t W, const std::vector<int64_t>& dy,
                       const std::vector<int64_t>& dx) {
  const int64_t P = OH * W, nv = (P + kConvDirectLanes - 1) / kConvDirectLanes;
  DirectPlan d;
  d.mask.assign(size_t(int64_t(dy.size() * dx.size()) * nv), 0);
  for (size_t kh = 0; kh < dy.size(); ++kh)
    for (size_t kw = 0; kw < dx.size(); ++kw) {
      const int64_t t = int64_t(kh * dx.size() + kw);
      d.shift.push_back(dy[kh] * W + dx[kw]);
      uint16_t* m = d.mask.data() + t * nv;
      for (int64_t oh = 0; oh < OH; ++oh) {
        if (oh + dy[kh] < 0 || oh + dy[kh] >= IH) continue;
        const int64_t w0 = std::max<int64_t>(0, -dx[kw]), w1 = std::min<int64_t>(W, W - dx[kw]);
        for (int64_t q = oh * W + w0; q < oh * W + w1; ++q)
          m[q / kConvDirectLanes] = uint16_t(m[q / kConvDirectLanes] | 1u << (q % kConvDirectLanes));
      }
    }
  return d;
}

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// For every image n and group g: planes `out`[n, g] (O per group, OH x W) = the direct correlation of the
// planes `in`[n, g] (C per group, IH x W) with wp (per group: taps * C * ldw), plus bias.
// Threads take (image, group, block of output channels) units.
void direct_run(ConvDirectFn fn, const DirectPlan& d, int64_t N, int64_t G, const float* in, int64_t C,
                int64_t IH, const float* wp, int64_t ldw, const float* bias, float* out, int64_t O, int64_t OH,
                int64_t W) {
  const int64_t blocks_total = (O + kConvDirectOcBlock - 1) / kConvDirectOcBlock;
  const int64_t want = 4 * int64_t(get_num_threads());
  const int64_t per_unit = std::max<int64_t>(1, blocks_total / std::max<int64_t>(1, (want + N * G - 1) / (N * G)));
  const int64_t chunks = (blocks_total + per_unit - 1) / per_unit, taps = int64_t(d.shift.size());
  parallel_for(N * G * chunks, 1, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t n = u / (G * chunks), g = u / chunks % G, o0 = u % chunks * per_unit * kConvDirectOcBlock;
      ConvDirectF32 a{in + (n * G + g) * C * IH * W, C, IH * W, wp + g * taps * C * ldw + o0, ldw,
                      bias ? bias + g * O + o0 : nullptr, out + ((n * G + g) * O + o0) * OH * W,
                      std::min(O - o0, per_unit * kConvDirectOcBlock), OH * W, taps, d.shift.data(), d.mask.data()};
      fn(a);
    }
  });
}

const ConvDirectKernels* direct_kernels(const std::string& kernel, const char* op) {
  return &pick_kernel(conv_direct_f32_kernels(), "conv_direct_f32", kernel, op).fn;
}

// The forward's taps: output (oh, ow) reads input (oh + kh * DH - PT, ow + kw * DW - PL).
DirectPlan forward_plan(const Conv2dShape& s, const Conv2dParams& p) {
  std::vector<int64_t> dy(size_t(s.KH)), dx(size_t(s.KW));
  for (int64_t kh = 0; kh < s.KH; ++kh) dy[size_t(kh)] = kh * p.dilation_h - p.pad_top;
  for (int64_t kw = 0; kw < s.KW; ++kw) dx[size_t(kw)] = kw * p.dilation_w - p.pad_left;
  return direct_plan(s.H, s.OH, s.W, dy, dx);
}

// The weights as the direct kernels read them, per group g: the forward's wp[g][(t * Cg + c) * ldw + o]
// = w[g * Og + o, c, t] (for_input_grad: wp[g][(t * Og + o) * ldw + c], the roles of o and c swapped),
// ldw the output channels rounded up to a tile, the padding zero.
std::vector<float> pack_direct_weights(const Conv2dShape& s, const Conv2dParams& p, const float* w, bool for_input_grad,
                                       int64_t& ldw) {
  const int64_t taps = s.KH * s.KW, in = for_input_grad ? s.Og : s.Cg;
  ldw = round_up(for_input_grad ? s.Cg : s.Og, kConvDirectOcBlock);
  std::vector<float> wp(size_t(p.groups * taps * in * ldw), 0.f);
  for (int64_t g = 0; g < p.groups; ++g)
    for (int64_t o = 0; o < s.Og; ++o)
      for (int64_t c = 0; c < s.Cg; ++c)
        for (int64_t t = 0; t < taps; ++t) {
          const int64_t row = for_input_grad ? o : c, col = for_input_grad ? c : o;
          wp[size_t(((g * taps + t) * in + row) * ldw + col)] = w[((g * s.Og + o) * s.Cg + c) * taps + t];
        }
  return wp;
}

void forward_direct(const Conv2dShape& s, const Conv2dParams& p, const float* x, const float* w, const float* bias,
                    float* y, ConvDirectFn fn) {
  int64_t ldw = 0;
  const std::vector<float> wp = pack_direct_weights(s, p, w, false, ldw);
  direct_run(fn, forward_plan(s, p), s.N, p.groups, x, s.Cg, s.H, wp.data(), ldw, bias, y, s.Og, s.OH, s.W);
}

// The input gradient: dx[n, g] = the correlation of dy[n, g] with taps at (pt - kh * DH, pl - kw * DW).
void input_grad_direct(const Conv2dShape& s, const Conv2dParams& p, const float* gy, const float* w, float* gx,
                       ConvDirectFn fn) {
  std::vector<int64_t> dy(size_t(s.KH)), dx(size_t(s.KW));
  for (int64_t kh = 0; kh < s.KH; ++kh) dy[size_t(kh)] = p.pad_top - kh * p.dilation_h;
  for (int64_t kw = 0; kw < s.KW; ++kw) dx[size_t(kw)] = p.pad_left - kw * p.dilation_w;
  int64_t ldw = 0;
  const std::vector<float> wp = pack_direct_weights(s, p, w, true, ldw);
  direct_run(fn, direct_plan(s.OH, s.H, s.W, dy, dx), s.N, p.groups, gy, s.Og, s.OH, wp.data(), ldw, nullptr, gx, s.Cg,
             s.H, s.W);
}

// Chunk 0 of parts (chunks x n) into out, plus the others in chunk order (deterministic for a thread count).
template <class T>
void sum_parts(const std::vector<T>& parts, int64_t chunks, int64_t n, T* out) {
  std::copy(parts.begin(), parts.begin() + n, out);
  for (int64_t c = 1; c < chunks; ++c)
    for (int64_t i = 0; i < n; ++i) out[i] += parts[size_t(c * n + i)];
}

// Weight and bias gradients: units of (run of images, group), each thread summing into its own part.
// A run's planes of dy and x (Og + Cg planes per image) stay within ~512 KiB, so the wgrad kernel's
// passes over them (one per tile of output channels and taps) hit L2.
void weight_grad_direct(const Conv2dShape& s, const Conv2dParams& p, const float* gy, const float* x, float* gw,
                        float* gb, ConvDirectWgradFn fn) {
  const DirectPlan d = forward_plan(s, p);
  const int64_t G = p.groups, taps = s.KH * s.KW, HW = s.H * s.W;
  const int threads_wanted = get_num_threads();
  const int64_t by_cache = std::max<int64_t>(1, (128 * 1024) / std::max<int64_t>(1, (s.Og + s.Cg) * s.P));
  // Each thread a contiguous share of the images (equal to within one), cut into runs of at most
  // `by_cache` images: runs of one size for all (64 images in runs of 6: 11 runs, 36 images for one
  // thread and 28 for the other) left a thread idle a fifth of the time.
  const int64_t share = (s.N + threads_wanted - 1) / threads_wanted, shares = (s.N + share - 1) / share;
  const int64_t runs = (share + by_cache - 1) / by_cache, run = (share + runs - 1) / runs;
  const int64_t units = shares * runs * G;
  const int threads = int(std::max<int64_t>(1, std::min<int64_t>(threads_wanted, units)));
  const int64_t grain = (units + threads - 1) / threads, chunks = (units + grain - 1) / grain;
  std::vector<float> gw_parts(gw ? size_t(chunks * s.Cout * s.K) : 0, 0.f), gb_parts(gb ? size_t(chunks * s.Cout) : 0, 0.f);
  parallel_for(units, grain, [&](int64_t u0, int64_t u1) {
    float* gw_part = gw ? gw_parts.data() + (u0 / grain) * s.Cout * s.K : nullptr;
    float* gb_part = gb ? gb_parts.data() + (u0 / grain) * s.Cout : nullptr;
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t g = u % G, sh = u / G / runs, n0 = sh * share + u / G % runs * run;
      const int64_t nb = std::min(run, std::min(s.N, (sh + 1) * share) - n0);
      if (nb <= 0) continue;
      const float* gy0 = gy + (n0 * s.Cout + g * s.Og) * s.P;
      if (gw)
        fn(ConvDirectWgradF32{gy0, s.Og, s.P, s.Cout * s.P, x + (n0 * s.Cin + g * s.Cg) * HW, s.Cg, HW, s.Cin * HW,
                              nb, taps, d.shift.data(), d.mask.data(), gw_part + g * s.Og * s.K, s.H, s.W, s.OH,
                              s.KH, s.KW, p.dilation_h, p.dilation_w, p.pad_top, p.pad_left});
      if (gb)
        for (int64_t j = 0; j < nb; ++j)
          for (int64_t o = 0; o < s.Og; ++o) gb_part[g * s.Og + o] += row_sum(gy0 + (j * s.Cout + o) * s.P, s.P);
    }
  });
  if (gw) sum_parts(gw_parts, chunks, s.Cout * s.K, gw);
  if (gb) sum_parts(gb_parts, chunks, s.Cout, gb);
}

template <class T>
void forward(const Conv2dShape& s, const Conv2dParams& p, const T* x, const T* w, const T* bias, T* y) {
  const int64_t G = p.groups, B = images_per_block(s, get_num_threads());
  const int64_t blocks = (s.N + B - 1) / B;
  parallel_for(blocks * G, 1, [&](int64_t u0, int64_t u1) {
    T* col = s.direct ? nullptr : col_buffer<T>(0, s.K * B * s.P);
    T* out = B > 1 ? col_buffer<T>(1, s.Og * B * s.P) : nullptr;
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t g = u % G, n0 = (u / G) * B, nb = std::min(B, s.N - n0), ld = nb * s.P;
      for (int64_t j = 0; j < nb && !s.direct; ++j)
        im2col(s.geo, x + ((n0 + j) * s.Cin + g * s.Cg) * s.H * s.W, s.H * s.W, col + j * s.P, ld);
      T* y0 = y + (n0 * s.Cout + g * s.Og) * s.P;
      const T* b = s.direct ? x + (n0 * s.Cin + g * s.Cg) * s.H * s.W : col;
      gemm(problem<T>(s.Og, ld, s.K, w + g * s.Og * s.K, s.K, 1, b, ld, 1, nb > 1 ? out : y0, nb > 1 ? ld : s.P,
                      T(0), bias ? bias + g * s.Og : nullptr));
      if (nb > 1)  // rows of the block's output back to their images
        for (int64_t j = 0; j < nb; ++j)
          for (int64_t o = 0; o < s.Og; ++o)
            std::copy(out + o * ld + j * s.P, out + o * ld + (j + 1) * s.P, y0 + j * s.Cout * s.P + o * s.P);
    }
  });
}

template <class T>
void backward(const Conv2dShape& s, const Conv2dParams& p, const T* gy, const T* x, const T* w, T* gx, T* gw, T* gb) {
  const int64_t G = p.groups;
  if (s.N == 0 || s.Cout == 0) {  // nothing flows back: zero gradients
    if (gx) std::fill(gx, gx + s.N * s.Cin * s.H * s.W, T(0));
    if (gw) std::fill(gw, gw + s.Cout * s.K, T(0));
    if (gb) std::fill(gb, gb + s.Cout, T(0));
    return;
  }
  const int threads_wanted = get_num_threads();
  const int64_t B = images_per_block(s, threads_wanted), blocks = (s.N + B - 1) / B, units = blocks * G;
  const int threads = int(std::max<int64_t>(1, std::min<int64_t>(threads_wanted, units)));
  const int64_t grain = (units + threads - 1) / threads;  // exactly one chunk per thread: chunk = u0 / grain
  const int64_t chunks = (units + grain - 1) / grain;
  std::vector<T> gw_parts(gw ? size_t(chunks * s.Cout * s.K) : 0, T(0));
  std::vector<T> gb_parts(gb ? size_t(chunks * s.Cout) : 0, T(0));
  parallel_for(units, grain, [&](int64_t u0, int64_t u1) {
    T* gw_part = gw ? gw_parts.data() + (u0 / grain) * s.Cout * s.K : nullptr;
    T* gb_part = gb ? gb_parts.data() + (u0 / grain) * s.Cout : nullptr;
    T* col = s.direct || !gw ? nullptr : col_buffer<T>(0, s.K * B * s.P);
    T* dcol = s.direct || !gx ? nullptr : col_buffer<T>(1, s.K * B * s.P);
    T* dy = B > 1 ? col_buffer<T>(2, s.Og * B * s.P) : nullptr;
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t g = u % G, n0 = (u / G) * B, nb = std::min(B, s.N - n0), ld = nb * s.P;
      const T* x0 = x + (n0 * s.Cin + g * s.Cg) * s.H * s.W;
      const T* gy0 = gy + (n0 * s.Cout + g * s.Og) * s.P;
      const T* wg = w + g * s.Og * s.K;
      if (nb > 1)  // the block's output-gradient rows side by side, as the forward's Y
        for (int64_t j = 0; j < nb; ++j)
          for (int64_t o = 0; o < s.Og; ++o)
            std::copy(gy0 + j * s.Cout * s.P + o * s.P, gy0 + j * s.Cout * s.P + (o + 1) * s.P, dy + o * ld + j * s.P);
      const T* dY = nb > 1 ? dy : gy0;
      if (gw) {
        for (int64_t j = 0; j < nb && !s.direct; ++j) im2col(s.geo, x0 + j * s.Cin * s.H * s.W, s.H * s.W, col + j * s.P, ld);
        // dW_g += dY (Og x B*P) · colᵀ: op(B)(q, k) = col[k * ld + q]
        gemm(problem<T>(s.Og, s.K, ld, dY, ld, 1, s.direct ? x0 : col, 1, ld, gw_part + g * s.Og * s.K, s.K, T(1),
                        nullptr));
      }
      if (gb)
        for (int64_t o = 0; o < s.Og; ++o) gb_part[g * s.Og + o] += row_sum(dY + o * ld, ld);
      if (gx) {
        T* gx0 = gx + (n0 * s.Cin + g * s.Cg) * s.H * s.W;
        // dcol (K x B*P) = W_gᵀ · dY: op(A)(k, o) = w_g[o * K + k]
        gemm(problem<T>(s.K, ld, s.Og, wg, 1, s.K, dY, ld, 1, s.direct ? gx0 : dcol, ld, T(0), nullptr));
        for (int64_t j = 0; j < nb && !s.direct; ++j) {
          T* gxj = gx0 + j * s.Cin * s.H * s.W;
          std::fill(gxj, gxj + s.Cg * s.H * s.W, T(0));
          col2im_add(s.geo, dcol + j * s.P, ld, gxj, s.H * s.W);
        }
      }
    }
  });
  if (gw) sum_parts(gw_parts, chunks, s.Cout * s.K, gw);
  if (gb) sum_parts(gb_parts, chunks, s.Cout, gb);
}

}  // namespace

void conv2d_output_size(int64_t H, int64_t W, int64_t KH, int64_t KW, const Conv2dParams& p, int64_t& OH,
                        int64_t& OW, const char* op) {
  if (p.stride_h < 1 || p.stride_w < 1) fail(ErrorKind::Runtime, op, ": non-positive stride is not supported");
  if (p.dilation_h < 1 || p.dilation_w < 1) fail(ErrorKind::Runtime, op, ": dilation should be greater than zero");
  if (p.pad_top < 0 || p.pad_bottom < 0 || p.pad_left < 0 || p.pad_right < 0)
    fail(ErrorKind::Runtime, op, ": negative padding is not supported");
  const int64_t eh = p.dilation_h * (KH - 1) + 1, ew = p.dilation_w * (KW - 1) + 1;  // dilated kernel
  const int64_t ph = H + p.pad_top + p.pad_bottom, pw = W + p.pad_left + p.pad_right;
  if (KH < 1 || KW < 1 || eh > ph || ew > pw)
    fail(ErrorKind::Runtime, op, ": kernel size (", eh, " x ", ew, " after dilation) can't be greater than the padded input size (",
         ph, " x ", pw, ")");
  OH = (ph - eh) / p.stride_h + 1;
  OW = (pw - ew) / p.stride_w + 1;
}

Conv2dShape check_conv2d_forward(const ArrayView& x, const ArrayView& w, const ArrayView* bias, const ArrayView& y,
                                 const Conv2dParams& p, DeviceType device) {
  const char* op = "conv2d";
  check_contiguous_on(x, device, op, "input");
  check_contiguous_on(w, device, op, "weight");
  const Conv2dShape s = shapes_of(x, w, p, op);
  if (w.dtype != x.dtype) fail(ErrorKind::Type, op, ": weight has dtype ", dtype_name(w.dtype), " but input has ", dtype_name(x.dtype));
  if (bias) check_tensor(*bias, x.dtype, {s.Cout}, op, "bias", device);
  check_tensor(y, x.dtype, {s.N, s.Cout, s.OH, s.OW}, op, "out", device);
  check_same_device(x, "input", w, "weight", op);
  check_same_device(x, "input", y, "out", op);
  if (bias) check_same_device(x, "input", *bias, "bias", op);
  check_writable(y, op, "out");
  check_disjoint(y, "out", x, "input", op);
  check_disjoint(y, "out", w, "weight", op);
  if (bias) check_disjoint(y, "out", *bias, "bias", op);
  return s;
}

// The route for `kernel` ("" picks; "im2col" forces im2col + GEMM; a conv_direct_f32 name forces it).
const ConvDirectKernels* choose_route(const Conv2dShape& s, const Conv2dParams& p, DType dtype,
                                     const std::string& kernel, const char* op) {
  if (kernel == "im2col") return nullptr;
  const bool applies = dtype == DType::Float32 && direct_applies(s, p);
  if (!kernel.empty() && !applies)
    fail(ErrorKind::Value, op, ": kernel '", kernel, "' needs float32, stride 1 and output rows as wide as the input's");
  return applies ? direct_kernels(kernel, op) : nullptr;
}

// Where the direct route applies, its forward and input-gradient tiles hold 8 output channels: with
// fewer than 8 (the input gradient of a 1- or 3-channel first layer) most lanes of work would be
// padding, and im2col + GEMM is faster (measured: MNIST conv1's input gradient 54 vs 132 GFLOP/s).
// Its weight gradient is as fast as the GEMM's or faster at every benchmarked shape, and needs no col.
bool direct_pays(int64_t out_channels, const std::string& kernel) { return !kernel.empty() || out_channels >= 8; }

void conv2d(const ArrayView& x, const ArrayView& w, const ArrayView* bias, const ArrayView& y, const Conv2dParams& p,
            const std::string& kernel) {
  const Conv2dShape s = check_conv2d_forward(x, w, bias, y, p, DeviceType::CPU);
  const ConvDirectKernels* direct = choose_route(s, p, x.dtype, kernel, "conv2d");
  if (s.N == 0 || s.Cout == 0) return;
  if (direct && direct_pays(s.Og, kernel))
    forward_direct(s, p, x.as<const float>(), w.as<const float>(), bias ? bias->as<const float>() : nullptr,
                   y.as<float>(), direct->forward);
  else if (x.dtype == DType::Float32)
    forward<float>(s, p, x.as<const float>(), w.as<const float>(), bias ? bias->as<const float>() : nullptr, y.as<float>());
  else
    forward<double>(s, p, x.as<const double>(), w.as<const double>(), bias ? bias->as<const double>() : nullptr, y.as<double>());
}

Conv2dShape check_conv2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                                  const ArrayView* gw, const ArrayView* gb, const Conv2dParams& p, DeviceType device) {
  const char* op = "conv2d_backward";
  check_contiguous_on(x, device, op, "input");
  check_contiguous_on(w, device, op, "weight");
  const Conv2dShape s = shapes_of(x, w, p, op);
  if (w.dtype != x.dtype) fail(ErrorKind::Type, op, ": weight has dtype ", dtype_name(w.dtype), " but input has ", dtype_name(x.dtype));
  check_tensor(gy, x.dtype, {s.N, s.Cout, s.OH, s.OW}, op, "grad_output", device);
  if (gx) check_tensor(*gx, x.dtype, x.shape, op, "grad_input", device);
  if (gw) check_tensor(*gw, x.dtype, w.shape, op, "grad_weight", device);
  if (gb) check_tensor(*gb, x.dtype, {s.Cout}, op, "grad_bias", device);
  check_same_device(x, "input", w, "weight", op);
  check_same_device(x, "input", gy, "grad_output", op);
  for (const ArrayView* out : {gx, gw, gb}) {
    if (!out) continue;
    check_same_device(x, "input", *out, "a gradient output", op);
    check_writable(*out, op, "a gradient output");
    check_disjoint(*out, "a gradient output", gy, "grad_output", op);
    check_disjoint(*out, "a gradient output", x, "input", op);
    check_disjoint(*out, "a gradient output", w, "weight", op);
  }
  return s;
}

void conv2d_backward(const ArrayView& gy, const ArrayView& x, const ArrayView& w, const ArrayView* gx,
                     const ArrayView* gw, const ArrayView* gb, const Conv2dParams& p, const std::string& kernel) {
  const Conv2dShape s = check_conv2d_backward(gy, x, w, gx, gw, gb, p, DeviceType::CPU);
  const ConvDirectKernels* direct = choose_route(s, p, x.dtype, kernel, "conv2d_backward");
  if (direct && s.N > 0 && s.Cout > 0) {
    if (gx && direct_pays(s.Cg, kernel)) {
      input_grad_direct(s, p, gy.as<const float>(), w.as<const float>(), gx->as<float>(), direct->forward);
      gx = nullptr;
    }
    if (gw || gb)
      weight_grad_direct(s, p, gy.as<const float>(), x.as<const float>(), gw ? gw->as<float>() : nullptr,
                         gb ? gb->as<float>() : nullptr, direct->wgrad);
    if (!gx) return;
    gw = gb = nullptr;  // only the input gradient is left for im2col + GEMM
  }
  if (x.dtype == DType::Float32)
    backward<float>(s, p, gy.as<const float>(), x.as<const float>(), w.as<const float>(), gx ? gx->as<float>() : nullptr,
                    gw ? gw->as<float>() : nullptr, gb ? gb->as<float>() : nullptr);
  else
    backward<double>(s, p, gy.as<const double>(), x.as<const double>(), w.as<const double>(),
                     gx ? gx->as<double>() : nullptr, gw ? gw->as<double>() : nullptr, gb ? gb->as<double>() : nullptr);
}

}  // namespace fastnn
