// conv_direct_avx512.cpp — AVX-512 direct convolution (cpu/conv_direct.h). A register tile is 3 vectors
// of 16 consecutive outputs x 8 output channels (24 accumulators). Per input channel and tap: 3 masked
// loads of the input (the masks are the padding), 8 broadcast weights, 24 FMAs; the weights of one block
// of 8 channels (taps * C * 8 floats) and the image's input planes stay in L1/L2 across the tiles.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <new>
#include <vector>

#include "cpu/conv_direct.h"

namespace fastnn {
namespace {

constexpr int kO = int(kConvDirectOcBlock);
constexpr int64_t kL = kConvDirectLanes;

// Output vectors v0 .. v0+V-1 of channels o0 .. o0+7 (those below a.O are stored).
// Every loop over the tile runs a constant count, fully unrolled: acc must be indexed by constants to
// stay in registers (otherwise GCC keeps it on the stack and stores it every step).
template <int V>
inline void tile(const ConvDirectF32& a, int64_t nv, int64_t v0, int64_t o0) {
  __m512 acc[V][kO];
  #pragma GCC unroll 8
  for (int o = 0; o < kO; ++o) {
    const __m512 b = _mm512_set1_ps(a.bias && o0 + o < a.O ? a.bias[o0 + o] : 0.f);
    #pragma GCC unroll 8
    for (int i = 0; i < V; ++i) acc[i][o] = b;
  }
  for (int64_t t = 0; t < a.taps; ++t) {
    __mmask16 m[V];
    #pragma GCC unroll 8
    for (int i = 0; i < V; ++i) m[i] = a.mask[t * nv + v0 + i];
    // Lanes outside the image are masked off: never read, so x may point before the planes' start.
    const float* x = a.x + (v0 * kL + a.shift[t]);
    const float* w = a.w + t * a.C * a.ldw + o0;
    for (int64_t c = 0; c < a.C; ++c, x += a.plane, w += a.ldw) {
      __m512 xv[V];
      #pragma GCC unroll 8
      for (int i = 0; i < V; ++i) xv[i] = _mm512_maskz_loadu_ps(m[i], x + kL * i);
      #pragma GCC unroll 8
      for (int o = 0; o < kO; ++o) {
        const __m512 wv = _mm512_set1_ps(w[o]);
        #pragma GCC unroll 8
        for (int i = 0; i < V; ++i) acc[i][o] = _mm512_fmadd_ps(xv[i], wv, acc[i][o]);
      }
    }
  }
  const int64_t os = a.O - o0 < kO ? a.O - o0 : kO;
  #pragma GCC unroll 8
  for (int i = 0; i < V; ++i) {
    const int64_t q = (v0 + i) * kL, live = a.P - q;
    const __mmask16 sm = live >= kL ? __mmask16(0xFFFF) : __mmask16((1u << live) - 1);
    #pragma GCC unroll 8
    for (int o = 0; o < kO; ++o)
        if (o < os) _mm512_mask_storeu_ps(a.y + (o0 + o) * a.P + q, sm, acc[i][o]);
  }
}

// ---- Weight gradient, few rows (c, t): vectorized along q over the taps laid out as rows ----
// Per image and block of output vectors [v0, v1): xt[(c * taps + t) * ldx + (v - v0) * 16 + lane] =
// x[c, q + shift[t]] where the tap's mask has lane q (q = v * 16 + lane), else 0; the block is sized so
// that xt stays in L1 while every tile of output channels reads it. The tiles' loads are then plain
// ones (OT rows of gy and TT rows of xt per OT x TT FMAs), and their accumulators (vectors of partial
// sums along q) live in `part` between blocks, reduced once at the end. (Measured on MNIST conv1: masked
// loads straight from x with per-vector mask and offset reads, 37% of the FMA peak; the same tiles with
// xt for a whole run of images, from L2, 40%.) gy's last vector is loaded masked: lanes past P belong
// to the next channel's plane and could hold Inf or NaN.

template <int OT, int TT>
inline void wgrad_rows_tile(const float* gy, int64_t P, const float* xt, int64_t ldx, int64_t vb, __mmask16 last,
                            __m512* part, int64_t part_ld) {
  __m512 acc[OT][TT];
#pragma GCC unroll 8
  for (int o = 0; o < OT; ++o)
#pragma GCC unroll 16
    for (int t = 0; t < TT; ++t) acc[o][t] = part[o * part_ld + t];
  for (int64_t v = 0; v < vb; ++v) {
    const __mmask16 live = v + 1 < vb ? __mmask16(0xFFFF) : last;
    __m512 g[OT];
#pragma GCC unroll 8
    for (int o = 0; o < OT; ++o) g[o] = _mm512_maskz_loadu_ps(live, gy + o * P + v * kL);
#pragma GCC unroll 16
    for (int t = 0; t < TT; ++t) {
      __m512 xv = _mm512_load_ps(xt + t * ldx + v * kL);
      // One load per row, kept in a register: left alone, GCC folds the load into each of the OT FMAs,
      // and this CPU's load port (one 512-bit load per cycle, measured) becomes the bottleneck.
      __asm__("" : "+v"(xv));
#pragma GCC unroll 8
      for (int o = 0; o < OT; ++o) acc[o][t] = _mm512_fmadd_ps(g[o], xv, acc[o][t]);
    }
  }
#pragma GCC unroll 8
  for (int o = 0; o < OT; ++o)
#pragma GCC unroll 16
    for (int t = 0; t < TT; ++t) part[o * part_ld + t] = acc[o][t];
}

// part[(o * C + c) * taps + t]: the accumulators of gw[o, c, t].
template <int OT>
void wgrad_rows_channels(const ConvDirectWgradF32& a, const float* gy, const float* xt, int64_t ldx, int64_t vb,
                         __mmask16 last, __m512* part) {
  const int64_t part_ld = a.C * a.taps;
  for (int64_t c = 0; c < a.C; ++c) {
    int64_t t0 = 0;
    const float* x = xt + c * a.taps * ldx;
    __m512* pc = part + c * a.taps;
    for (; a.taps - t0 >= 9; t0 += 9) wgrad_rows_tile<OT, 9>(gy, a.P, x + t0 * ldx, ldx, vb, last, pc + t0, part_ld);
    for (; a.taps - t0 >= 3; t0 += 3) wgrad_rows_tile<OT, 3>(gy, a.P, x + t0 * ldx, ldx, vb, last, pc + t0, part_ld);
    for (; t0 < a.taps; ++t0) wgrad_rows_tile<OT, 1>(gy, a.P, x + t0 * ldx, ldx, vb, last, pc + t0, part_ld);
  }
}

// 64-byte aligned scratch kept by a thread between calls.
struct AlignedScratch {
  float* p = nullptr;
  size_t size = 0;
  ~AlignedScratch() { std::free(p); }
  float* of(size_t n) {
    if (n > size) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
      if (!p) throw std::bad_alloc();
      size = n;
    }
    return p;
  }
};

void wgrad_rows(const ConvDirectWgradF32& a) {
  const int64_t nv = (a.P + kL - 1) / kL, rows = a.C * a.taps;
  if (nv == 0) return;
  const int64_t block = std::clamp<int64_t>((24 * 1024) / (rows * kL * 4), 4, nv), ldx = block * kL;
  thread_local AlignedScratch xt_scratch, part_scratch;
  float* xt = xt_scratch.of(size_t(rows * ldx));
  __m512* part = reinterpret_cast<__m512*>(part_scratch.of(size_t(a.O * rows * kL)));
  std::fill(part, part + a.O * rows, _mm512_setzero_ps());
  for (int64_t n = 0; n < a.images; ++n)
    for (int64_t v0 = 0; v0 < nv; v0 += block) {
      const int64_t vb = std::min(block, nv - v0), tail = a.P - (v0 + vb - 1) * kL;
      const __mmask16 last = tail >= kL ? __mmask16(0xFFFF) : __mmask16((1u << tail) - 1);
      for (int64_t c = 0; c < a.C; ++c) {
        const float* x = a.x + n * a.x_image + c * a.plane;
        for (int64_t t = 0; t < a.taps; ++t) {
          float* row = xt + (c * a.taps + t) * ldx;
          for (int64_t v = v0; v < v0 + vb; ++v)  // masked-off lanes are never read: the address may lie outside x
            _mm512_store_ps(row + (v - v0) * kL,
                            _mm512_maskz_loadu_ps(__mmask16(a.mask[t * nv + v]), x + v * kL + a.shift[t]));
        }
      }
      const float* gy = a.gy + n * a.gy_image + v0 * kL;
      int64_t o0 = 0;
      for (; a.O - o0 >= 3; o0 += 3) wgrad_rows_channels<3>(a, gy + o0 * a.P, xt, ldx, vb, last, part + o0 * rows);
      if (a.O - o0 == 2) wgrad_rows_channels<2>(a, gy + o0 * a.P, xt, ldx, vb, last, part + o0 * rows);
      if (a.O - o0 == 1) wgrad_rows_channels<1>(a, gy + o0 * a.P, xt, ldx, vb, last, part + o0 * rows);
    }
  for (int64_t i = 0; i < a.O * rows; ++i) a.gw[i] += _mm512_reduce_add_ps(part[i]);
}

// ---- Weight gradient: GEMM-like tiles over a zero-bordered copy of x and a transposed copy of gy ----
// gw[o, c, t] = sum over images n, outputs (oh, ow) of gyT[n][(oh, ow), o] * xpad[n][c, oh + kh*DH, ow + kw*DW]
// (t = kh * KW + kw). A tile is 6 rows (c, t) x NV vectors of 16 output channels.

constexpr int kMR = 6;

template <int NV>
void wgrad_tile(const float* const* rows, int64_t images, int64_t x_image, const float* gyt, int64_t ldo,
                int64_t OH, int64_t OW, int64_t PW, float* out /* kMR x 16 * NV */) {
  __m512 acc[kMR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  for (int64_t n = 0; n < images; ++n)
    for (int64_t oh = 0; oh < OH; ++oh) {
      const float* p[kMR];
#pragma GCC unroll 8
      for (int i = 0; i < kMR; ++i) p[i] = rows[i] + n * x_image + oh * PW;
      const float* b = gyt + (n * OH + oh) * OW * ldo;
      for (int64_t ow = 0; ow < OW; ++ow, b += ldo) {
        __m512 bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) bv[v] = _mm512_load_ps(b + 16 * v);
#pragma GCC unroll 8
        for (int i = 0; i < kMR; ++i) {
          const __m512 xi = _mm512_set1_ps(p[i][ow]);
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(xi, bv[v], acc[i][v]);
        }
      }
    }
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(out + i * 16 * NV + 16 * v, acc[i][v]);
}

// out[c] = column c of the 16 x 16 block in[0..15] (rows): pairs of rows interleaved by 32 and 64 bits,
// then the 128-bit lanes of four vectors transposed.
inline void transpose16x16(const __m512 in[16], __m512 out[16]) {
  __m512 t[16], s[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(in[2 * i], in[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(in[2 * i], in[2 * i + 1]);
  }
  auto lo = [](__m512 a, __m512 b) { return _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b))); };
  auto hi = [](__m512 a, __m512 b) { return _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(b))); };
  // s[4i + j], 128-bit lane L: column 4L + j of rows 4i .. 4i+3
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    s[4 * i] = lo(t[4 * i], t[4 * i + 2]);
    s[4 * i + 1] = hi(t[4 * i], t[4 * i + 2]);
    s[4 * i + 2] = lo(t[4 * i + 1], t[4 * i + 3]);
    s[4 * i + 3] = hi(t[4 * i + 1], t[4 * i + 3]);
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    const __m512 p = _mm512_shuffle_f32x4(s[j], s[4 + j], 0x88), q = _mm512_shuffle_f32x4(s[j], s[4 + j], 0xDD);
    const __m512 r = _mm512_shuffle_f32x4(s[8 + j], s[12 + j], 0x88), u = _mm512_shuffle_f32x4(s[8 + j], s[12 + j], 0xDD);
    out[j] = _mm512_shuffle_f32x4(p, r, 0x88);
    out[4 + j] = _mm512_shuffle_f32x4(q, u, 0x88);
    out[8 + j] = _mm512_shuffle_f32x4(p, r, 0xDD);
    out[12 + j] = _mm512_shuffle_f32x4(q, u, 0xDD);
  }
}

// A thread's copies, kept between calls (64-byte aligned rows of gyT).
struct WgradScratch {
  std::vector<float> xpad;
  std::array<int64_t, 6> xpad_geometry{};  // (C, H, W, PH, PW, PT * PW + PL) its zero borders were made for
  AlignedScratch gyt;
};

}  // namespace

void conv_direct_wgrad_f32__avx512(const ConvDirectWgradF32& a) {
  if (a.images == 0 || a.P == 0) return;
  // Transposing gy costs as much per element as the masked form's arithmetic when gy has few uses
  // (C * taps rows): measured, MNIST conv1 (9 rows) 190 vs 80 GFLOP/s masked vs tiles, CIFAR stem (27)
  // 258 vs 192; MNIST conv2 (288) 215 vs 349, 16 -> 16 channels at 56x56 (144) 225 vs 260.
  if (a.C * a.taps < 64) return wgrad_rows(a);
  const int64_t OW = a.W, PH = a.OH + a.DH * (a.KH - 1), PW = a.W + a.DW * (a.KW - 1), pplane = PH * PW;
  const int64_t x_image = a.C * pplane, M = a.C * a.taps;
  thread_local WgradScratch scratch;
  // x with zero borders: xpad[n][c, r, col] = x[n][c, r - PT, col - PL] inside the image, else 0. Only the
  // interior is written below; the borders stay zero from the last call with the same geometry (zeroing
  // the whole buffer every run was ~4% of MNIST conv2's weight gradient).
  const std::array<int64_t, 6> geometry{a.C, a.H, a.W, PH, PW, a.PT * PW + a.PL};
  if (scratch.xpad_geometry != geometry || scratch.xpad.size() < size_t(a.images * x_image)) {
    scratch.xpad.assign(std::max(scratch.xpad.size(), size_t(a.images * x_image)), 0.f);
    scratch.xpad_geometry = geometry;
  }
  for (int64_t n = 0; n < a.images; ++n)
    for (int64_t c = 0; c < a.C; ++c)
      for (int64_t r = 0; r < PH; ++r) {
        const int64_t ih = r - a.PT;
        if (ih < 0 || ih >= a.H) continue;
        const float* src = a.x + n * a.x_image + c * a.plane + ih * a.W;
        float* dst = scratch.xpad.data() + n * x_image + c * pplane + r * PW;
        std::copy(src, src + a.W, dst + a.PL);
      }
  float out[kMR * 64];
  for (int64_t o0 = 0; o0 < a.O; o0 += 64) {
    const int64_t ob = std::min<int64_t>(64, a.O - o0), nv = (ob + 15) / 16, ldo = 16 * nv;
    // gy transposed: gyt[n][q, o] = gy[n][o0 + o, q], the columns past ob zero
    float* gyt = scratch.gyt.of(size_t(a.images * a.P * ldo));
    for (int64_t n = 0; n < a.images; ++n) {
      float* t = gyt + n * a.P * ldo;
      const float* g = a.gy + n * a.gy_image + o0 * a.P;
      for (int64_t c0 = 0; c0 < ldo; c0 += 16)
        for (int64_t q0 = 0; q0 < a.P; q0 += 16) {  // 16 x 16 blocks
          const int64_t live = std::min<int64_t>(16, a.P - q0);
          const __mmask16 m = __mmask16((1u << live) - 1);
          __m512 in[16], out[16];
#pragma GCC unroll 16
          for (int i = 0; i < 16; ++i)
            in[i] = c0 + i < ob ? _mm512_maskz_loadu_ps(m, g + (c0 + i) * a.P + q0) : _mm512_setzero_ps();
          transpose16x16(in, out);
#pragma GCC unroll 16
          for (int j = 0; j < 16; ++j)
            if (j < live) _mm512_store_ps(t + (q0 + j) * ldo + c0, out[j]);
        }
    }
    for (int64_t m0 = 0; m0 < M; m0 += kMR) {
      const float* rows[kMR];
      for (int i = 0; i < kMR; ++i) {
        const int64_t m = std::min(m0 + i, M - 1), c = m / a.taps, t = m % a.taps;
        rows[i] = scratch.xpad.data() + c * pplane + (t / a.KW) * a.DH * PW + (t % a.KW) * a.DW;
      }
      switch (nv) {
        case 4: wgrad_tile<4>(rows, a.images, x_image, gyt, ldo, a.OH, OW, PW, out); break;
        case 3: wgrad_tile<3>(rows, a.images, x_image, gyt, ldo, a.OH, OW, PW, out); break;
        case 2: wgrad_tile<2>(rows, a.images, x_image, gyt, ldo, a.OH, OW, PW, out); break;
        default: wgrad_tile<1>(rows, a.images, x_image, gyt, ldo, a.OH, OW, PW, out); break;
      }
      for (int64_t i = 0; i < std::min<int64_t>(kMR, M - m0); ++i) {
        const int64_t c = (m0 + i) / a.taps, t = (m0 + i) % a.taps;
        for (int64_t o = 0; o < ob; ++o) a.gw[((o0 + o) * a.C + c) * a.taps + t] += out[i * ldo + o];
      }
    }
  }
}

namespace {

// The last P % 16 outputs of every plane (in the tiles above a partial vector: 1-15 live lanes at the cost
// of 16, with 9 loads per 8 FMAs in a one-vector tile): output channels along the vector instead. Q outputs
// x OV vectors of 16 channels; per input channel and tap: OV weight vectors (channels are contiguous in
// the packed weights), Q broadcasts, Q * OV FMAs, every lane live. (MNIST conv2: P = 196, 4 outputs.)
template <int Q, int OV>
inline void tail_tile(const ConvDirectF32& a, int64_t nv, int64_t q0, int64_t o0) {
  __m512 acc[Q][OV];
  __mmask16 om[OV];
#pragma GCC unroll 4
  for (int v = 0; v < OV; ++v) {
    const int64_t live = a.O - o0 - 16 * v;
    om[v] = live >= 16 ? __mmask16(0xFFFF) : live <= 0 ? __mmask16(0) : __mmask16((1u << live) - 1);
    const __m512 b = a.bias ? _mm512_maskz_loadu_ps(om[v], a.bias + o0 + 16 * v) : _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int q = 0; q < Q; ++q) acc[q][v] = b;
  }
  for (int64_t t = 0; t < a.taps; ++t) {
    bool inside[Q];
    const float* xq[Q];
#pragma GCC unroll 8
    for (int q = 0; q < Q; ++q) {
      const int64_t qq = q0 + q;
      inside[q] = (a.mask[t * nv + qq / kL] >> (qq % kL)) & 1u;
      xq[q] = a.x + qq + a.shift[t];  // read only where inside
    }
    const float* w = a.w + t * a.C * a.ldw + o0;
    for (int64_t c = 0; c < a.C; ++c, w += a.ldw) {
      __m512 wv[OV];
#pragma GCC unroll 4
      for (int v = 0; v < OV; ++v) wv[v] = _mm512_maskz_loadu_ps(om[v], w + 16 * v);
#pragma GCC unroll 8
      for (int q = 0; q < Q; ++q) {
        const __m512 xb = _mm512_set1_ps(inside[q] ? xq[q][c * a.plane] : 0.f);
#pragma GCC unroll 4
        for (int v = 0; v < OV; ++v) acc[q][v] = _mm512_fmadd_ps(xb, wv[v], acc[q][v]);
      }
    }
  }
#pragma GCC unroll 8
  for (int q = 0; q < Q; ++q)
#pragma GCC unroll 4
    for (int v = 0; v < OV; ++v) {
      alignas(64) float lane[16];
      _mm512_store_ps(lane, acc[q][v]);
      const int64_t n = std::min<int64_t>(16, a.O - o0 - 16 * v);
      for (int64_t l = 0; l < n; ++l) a.y[(o0 + 16 * v + l) * a.P + q0 + q] = lane[l];
    }
}

template <int Q>
void tail_outputs(const ConvDirectF32& a, int64_t nv, int64_t q0) {
  for (int64_t o0 = 0; o0 < a.O; o0 += 64) {
    switch (std::min<int64_t>(4, (a.O - o0 + 15) / 16)) {
      case 4: tail_tile<Q, 4>(a, nv, q0, o0); break;
      case 3: tail_tile<Q, 3>(a, nv, q0, o0); break;
      case 2: tail_tile<Q, 2>(a, nv, q0, o0); break;
      default: tail_tile<Q, 1>(a, nv, q0, o0); break;
    }
  }
}

}  // namespace

void conv_direct_f32__avx512(const ConvDirectF32& a) {
  const int64_t nv = (a.P + kL - 1) / kL, full = a.P / kL;
  // Full vectors in tiles of 3 (2 + 2 for 4 left, not 3 + 1); a partial last vector of at least 12 live
  // lanes stays in the tiles, a shorter one goes to the channel-vector tail tiles.
  const int64_t tiled = a.P % kL >= 12 ? nv : full;
  for (int64_t o0 = 0; o0 < a.O; o0 += kO) {
    int64_t v0 = 0;
    for (; tiled - v0 >= 3 && tiled - v0 != 4; v0 += 3) tile<3>(a, nv, v0, o0);
    for (; tiled - v0 >= 2; v0 += 2) tile<2>(a, nv, v0, o0);
    if (v0 < tiled) tile<1>(a, nv, v0, o0);
  }
  for (int64_t q = tiled * kL; q < a.P;) {  // outputs in groups of up to 6 (24 accumulators)
    switch (std::min<int64_t>(6, a.P - q)) {
      case 6: tail_outputs<6>(a, nv, q), q += 6; break;
      case 5: tail_outputs<5>(a, nv, q), q += 5; break;
      case 4: tail_outputs<4>(a, nv, q), q += 4; break;
      case 3: tail_outputs<3>(a, nv, q), q += 3; break;
      case 2: tail_outputs<2>(a, nv, q), q += 2; break;
      default: tail_outputs<1>(a, nv, q), q += 1; break;
    }
  }
}

}  // namespace fastnn
