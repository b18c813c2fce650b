// rnn.cu — LSTM and GRU layers on CUDA (the same source runs on the CPU through the SIMT emulator): the
// CPU path's structure (ops/rnn.cpp) with cuda/gemm.h's GEMMs and fused cell kernels whose math is the CPU
// kernels' per-point code (math/rnn_math.h, Point<T> on the scalar traits).
//   forward:  one GEMM for every step's input projection (+ bias), then per step a GEMM with w_hh and one
//             cell kernel launch (one thread per (row, hidden unit), grid-stride).
//   backward: per step in reverse one cell kernel (which also adds the output sequence's gradient) and one
//             GEMM for dh_prev; then the input and weight gradients as GEMMs over the whole sequence and
//             the bias gradients as column sums. A null initial state is a zero buffer.
// Launches per layer: 2T + 2 forward, 2T + 5 backward: at small batch the per-step launch latency, not
// the arithmetic, bounds a step (no CUDA graphs or persistent kernel yet).
// bench: fastnn-bench --filter "LSTM|GRU" (GPU columns when a GPU is present)
#include "cuda/rnn.h"

#include <cstdint>

#include "math/traits_ref.h"
#include "math/rnn_math.h"
#include "cuda/gemm.h"

namespace fastnn {
namespace cuda {
namespace {

template <class T>
using Cell = rnn::Point<ref::Scalar<T>>;

inline void gemm_t(const GemmProblem<float>& g, cudaStream_t stream) { gemm_f32(g, stream); }
inline void gemm_t(const GemmProblem<double>& g, cudaStream_t stream) { gemm_f64(g, stream); }
inline void sum_rows_t(const float* x, int64_t M, int64_t N, float* out, cudaStream_t stream) {
  sum_rows_f32(x, M, N, N, 1, out, false, stream);
}
inline void sum_rows_t(const double* x, int64_t M, int64_t N, double* out, cudaStream_t stream) {
  sum_rows_f64(x, M, N, N, 1, out, false, stream);
}

// c (M x N, ldc) = op(a)·op(b) + beta c (+ bias_n), strides as GemmProblem's
template <class T>
void rnn_product(int64_t M, int64_t N, int64_t K, const T* a, int64_t a_rs, int64_t a_cs, const T* b, int64_t b_rs,
                 int64_t b_cs, T* c, int64_t ldc, T beta, const T* bias_n, cudaStream_t stream) {
  gemm_t(GemmProblem<T>{M, N, K, a, a_rs, a_cs, b, b_rs, b_cs, c, ldc, T(1), beta, nullptr, bias_n, false}, stream);
}

template <class T>
void copy_d2d(T* dst, const T* src, int64_t n, cudaStream_t stream) {
  if (n > 0) FASTNN_CUDA_CHECK(cudaMemcpyAsync(dst, src, size_t(n) * sizeof(T), cudaMemcpyDeviceToDevice, stream));
}
template <class T>
void zero_d(T* dst, int64_t n, cudaStream_t stream) {
  if (n > 0) FASTNN_CUDA_CHECK(cudaMemsetAsync(dst, 0, size_t(n) * sizeof(T), stream));
}

inline int64_t step_index(const RnnShape& s, bool reverse, int64_t k) { return reverse ? s.T - 1 - k : k; }

template <class T>
__global__ void lstm_cell_forward_kernel(T* act, const T* c_prev, T* c, T* h, int64_t rows, int64_t H) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows * H; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / H, j = i % H;
    T* a = act + r * 4 * H + j;
    T gi = a[0], gf = a[H], gg = a[2 * H], go = a[3 * H], cn, hn;
    Cell<T>::lstm_forward(gi, gf, gg, go, c_prev[i], cn, hn);
    a[0] = gi, a[H] = gf, a[2 * H] = gg, a[3 * H] = go;
    c[i] = cn;
    h[i] = hn;
  }
}

// dh: the gradient reaching h from step t+1 (through dh_prev), dh_seq: the output sequence's (or null)
template <class T>
__global__ void lstm_cell_backward_kernel(const T* act, const T* c_prev, const T* c, const T* dh, const T* dh_seq,
                                          T* dc, T* dgates, int64_t rows, int64_t H) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows * H; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / H, j = i % H;
    const T* a = act + r * 4 * H + j;
    T* dg = dgates + r * 4 * H + j;
    T dcv = dc[i], di, df, dgg, d_o;
    Cell<T>::lstm_backward(a[0], a[H], a[2 * H], a[3 * H], c[i], c_prev[i], dh_seq ? dh[i] + dh_seq[i] : dh[i], dcv, di,
                           df, dgg, d_o);
    dg[0] = di, dg[H] = df, dg[2 * H] = dgg, dg[3 * H] = d_o;
    dc[i] = dcv;
  }
}

template <class T>
__global__ void gru_cell_forward_kernel(T* act, const T* gh, const T* h_prev, T* h, int64_t rows, int64_t H) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows * H; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / H, j = i % H;
    T* a = act + r * 4 * H + j;
    const T* b = gh + r * 3 * H + j;
    T rv, zv, nv, hv;
    Cell<T>::gru_forward(a[0], a[H], a[2 * H], b[0], b[H], b[2 * H], h_prev[i], rv, zv, nv, hv);
    a[3 * H] = b[2 * H];
    a[0] = rv, a[H] = zv, a[2 * H] = nv;
    h[i] = hv;
  }
}

// dh (in: the gradient from step t+1; out: dh z, the direct part of dh_prev), dh_seq as for the LSTM
template <class T>
__global__ void gru_cell_backward_kernel(const T* act, const T* h_prev, T* dh, const T* dh_seq, T* dgi, T* dgh,
                                         int64_t rows, int64_t H) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows * H; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / H, j = i % H;
    const T* a = act + r * 4 * H + j;
    T *di = dgi + r * 3 * H + j, *dg = dgh + r * 3 * H + j;
    T d_r, d_z, d_in, d_hn, dhp;
    Cell<T>::gru_backward(a[0], a[H], a[2 * H], a[3 * H], h_prev[i], dh_seq ? dh[i] + dh_seq[i] : dh[i], d_r, d_z,
                          d_in, d_hn, dhp);
    di[0] = d_r, di[H] = d_z, di[2 * H] = d_in;
    dg[0] = d_r, dg[H] = d_z, dg[2 * H] = d_hn;
    dh[i] = dhp;
  }
}

// The previous hidden state of every step in step order (T, B, H): h_all shifted by one step, h0 first.
template <class T>
void gather_previous_states(const RnnShape& s, bool reverse, const T* h_all, const T* h0, T* out, cudaStream_t stream) {
  const int64_t BH = s.B * s.H;
  const int64_t first = reverse ? s.T - 1 : 0;
  copy_d2d(out + first * BH, h0, BH, stream);
  if (reverse) copy_d2d(out, h_all + BH, (s.T - 1) * BH, stream);  // out[t] = h_all[t + 1]
  else copy_d2d(out + BH, h_all, (s.T - 1) * BH, stream);          // out[t] = h_all[t - 1]
}

// A null state becomes zeros in `scratch`.
template <class T>
const T* state_or_zeros(const T* state, T* scratch, int64_t n, cudaStream_t stream) {
  if (state) return state;
  zero_d(scratch, n, stream);
  return scratch;
}

// The gradients over the whole sequence, after the steps: dx = dgi · w_ih, dw_ih = dgiᵀ x, dw_hh = dghᵀ h_prev
// (h_prev_all: TB x H scratch), db_ih / db_hh the column sums of dgi / dgh (G columns each; the LSTM passes
// its dgates twice and no db_hh).
template <class T>
void sequence_grads(const RnnLayerGradArgs<T>& a, int64_t G, const T* dgi, const T* dgh, const T* h0, T* h_prev_all,
                    cudaStream_t stream) {
  const RnnShape& s = a.s;
  const int64_t TB = s.T * s.B;
  if (a.dx && s.I > 0) rnn_product<T>(TB, s.I, G, dgi, G, 1, a.w_ih, s.I, 1, a.dx, s.I, T(0), nullptr, stream);
  if (a.dw_ih) rnn_product<T>(G, s.I, TB, dgi, 1, G, a.x, s.I, 1, a.dw_ih, s.I, T(0), nullptr, stream);
  if (a.dw_hh) {
    gather_previous_states(s, a.reverse, a.h_all, h0, h_prev_all, stream);
    rnn_product<T>(G, s.H, TB, dgh, 1, G, h_prev_all, s.H, 1, a.dw_hh, s.H, T(0), nullptr, stream);
  }
  if (a.db_ih) sum_rows_t(dgi, TB, G, a.db_ih, stream);
  if (a.db_hh) sum_rows_t(dgh, TB, G, a.db_hh, stream);
}

}  // namespace

template <class T>
void lstm_layer(const RnnLayerArgs<T>& a, cudaStream_t stream) {
  const RnnShape& s = a.s;
  const int64_t G = 4 * s.H, BH = s.B * s.H;
  if (s.T == 0 || BH == 0) return;
  DeviceScratch<T> zeros((a.h0 ? 0 : BH) + (a.c0 ? 0 : BH));
  const T* h0 = state_or_zeros(a.h0, zeros.p, BH, stream);
  const T* c0 = state_or_zeros(a.c0, zeros.p + (a.h0 ? 0 : BH), BH, stream);
  rnn_product<T>(s.T * s.B, G, s.I, a.x, s.I, 1, a.w_ih, 1, s.I, a.act, G, T(0), a.bias, stream);
  for (int64_t k = 0; k < s.T; ++k) {
    const int64_t t = step_index(s, a.reverse, k), tp = k ? step_index(s, a.reverse, k - 1) : -1;
    const T* h_prev = k ? a.h_all + tp * BH : h0;
    const T* c_prev = k ? a.c_all + tp * BH : c0;
    T* act = a.act + t * s.B * G;
    rnn_product<T>(s.B, G, s.H, h_prev, s.H, 1, a.w_hh, 1, s.H, act, G, T(1), nullptr, stream);
    launch_grid_stride(lstm_cell_forward_kernel<T>, BH, stream, act, c_prev, a.c_all + t * BH, a.h_all + t * BH, s.B,
                       s.H);
  }
}

template <class T>
void lstm_layer_backward(const RnnLayerGradArgs<T>& a, cudaStream_t stream) {
  const RnnShape& s = a.s;
  const int64_t G = 4 * s.H, BH = s.B * s.H, TB = s.T * s.B;
  if (TB == 0 || s.H == 0) {  // nothing ran: the state gradients pass through, the others are zero
    if (a.dh0) a.dh_n ? copy_d2d(a.dh0, a.dh_n, BH, stream) : zero_d(a.dh0, BH, stream);
    if (a.dc0) a.dc_n ? copy_d2d(a.dc0, a.dc_n, BH, stream) : zero_d(a.dc0, BH, stream);
    if (a.dx) zero_d(a.dx, TB * s.I, stream);
    if (a.dw_ih) zero_d(a.dw_ih, G * s.I, stream);
    if (a.dw_hh) zero_d(a.dw_hh, G * s.H, stream);
    if (a.db_ih) zero_d(a.db_ih, G, stream);
    return;
  }
  // dgates (T, B, 4H), dh, dc, zero states, previous states (T, B, H)
  DeviceScratch<T> scratch(TB * G + 4 * BH + (a.dw_hh ? TB * s.H : 0));
  T *dgates = scratch.p, *dh = dgates + TB * G, *dc = dh + BH, *zeros = dc + BH, *h_prev_all = zeros + 2 * BH;
  zero_d(zeros, 2 * BH, stream);
  a.dh_n ? copy_d2d(dh, a.dh_n, BH, stream) : zero_d(dh, BH, stream);
  a.dc_n ? copy_d2d(dc, a.dc_n, BH, stream) : zero_d(dc, BH, stream);
  const T* h0 = a.h0 ? a.h0 : zeros;
  const T* c0 = a.c0 ? a.c0 : zeros + BH;
  for (int64_t k = s.T - 1; k >= 0; --k) {
    const int64_t t = step_index(s, a.reverse, k);
    const T* c_prev = k ? a.c_all + step_index(s, a.reverse, k - 1) * BH : c0;
    T* dg = dgates + t * s.B * G;
    launch_grid_stride(lstm_cell_backward_kernel<T>, BH, stream, a.act + t * s.B * G, c_prev, a.c_all + t * BH,
                       static_cast<const T*>(dh), a.dh_all ? a.dh_all + t * BH : nullptr, dc, dg, s.B, s.H);
    rnn_product<T>(s.B, s.H, G, dg, G, 1, a.w_hh, s.H, 1, dh, s.H, T(0), nullptr, stream);  // dh_prev = dg · w_hh
  }
  if (a.dh0) copy_d2d(a.dh0, dh, BH, stream);
  if (a.dc0) copy_d2d(a.dc0, dc, BH, stream);
  sequence_grads(a, G, dgates, dgates, h0, h_prev_all, stream);
}

template <class T>
void gru_layer(const RnnLayerArgs<T>& a, cudaStream_t stream) {
  const RnnShape& s = a.s;
  const int64_t G = 3 * s.H, A = 4 * s.H, BH = s.B * s.H;
  if (s.T == 0 || BH == 0) return;
  DeviceScratch<T> scratch(s.B * G + (a.h0 ? 0 : BH));
  T* gh = scratch.p;
  const T* h0 = state_or_zeros(a.h0, scratch.p + s.B * G, BH, stream);
  rnn_product<T>(s.T * s.B, G, s.I, a.x, s.I, 1, a.w_ih, 1, s.I, a.act, A, T(0), a.b_ih, stream);
  for (int64_t k = 0; k < s.T; ++k) {
    const int64_t t = step_index(s, a.reverse, k);
    const T* h_prev = k ? a.h_all + step_index(s, a.reverse, k - 1) * BH : h0;
    rnn_product<T>(s.B, G, s.H, h_prev, s.H, 1, a.w_hh, 1, s.H, gh, G, T(0), a.b_hh, stream);
    launch_grid_stride(gru_cell_forward_kernel<T>, BH, stream, a.act + t * s.B * A, static_cast<const T*>(gh), h_prev,
                       a.h_all + t * BH, s.B, s.H);
  }
}

template <class T>
void gru_layer_backward(const RnnLayerGradArgs<T>& a, cudaStream_t stream) {
  const RnnShape& s = a.s;
  const int64_t G = 3 * s.H, A = 4 * s.H, BH = s.B * s.H, TB = s.T * s.B;
  if (TB == 0 || s.H == 0) {
    if (a.dh0) a.dh_n ? copy_d2d(a.dh0, a.dh_n, BH, stream) : zero_d(a.dh0, BH, stream);
    if (a.dx) zero_d(a.dx, TB * s.I, stream);
    if (a.dw_ih) zero_d(a.dw_ih, G * s.I, stream);
    if (a.dw_hh) zero_d(a.dw_hh, G * s.H, stream);
    if (a.db_ih) zero_d(a.db_ih, G, stream);
    if (a.db_hh) zero_d(a.db_hh, G, stream);
    return;
  }
  DeviceScratch<T> scratch(2 * TB * G + 2 * BH + (a.dw_hh ? TB * s.H : 0));
  T *dgi = scratch.p, *dgh = dgi + TB * G, *dh = dgh + TB * G, *zeros = dh + BH, *h_prev_all = zeros + BH;
  zero_d(zeros, BH, stream);
  a.dh_n ? copy_d2d(dh, a.dh_n, BH, stream) : zero_d(dh, BH, stream);
  const T* h0 = a.h0 ? a.h0 : zeros;
  for (int64_t k = s.T - 1; k >= 0; --k) {
    const int64_t t = step_index(s, a.reverse, k);
    const T* h_prev = k ? a.h_all + step_index(s, a.reverse, k - 1) * BH : h0;
    T *di = dgi + t * s.B * G, *dg = dgh + t * s.B * G;
    launch_grid_stride(gru_cell_backward_kernel<T>, BH, stream, a.act + t * s.B * A, h_prev, dh,
                       a.dh_all ? a.dh_all + t * BH : nullptr, di, dg, s.B, s.H);
    rnn_product<T>(s.B, s.H, G, dg, G, 1, a.w_hh, s.H, 1, dh, s.H, T(1), nullptr, stream);  // dh_prev += dgh · w_hh
  }
  if (a.dh0) copy_d2d(a.dh0, dh, BH, stream);
  sequence_grads(a, G, dgi, dgh, h0, h_prev_all, stream);
}

#define FASTNN_CUDA_RNN_INSTANCES(T)                                               \
  template void lstm_layer<T>(const RnnLayerArgs<T>&, cudaStream_t);               \
  template void lstm_layer_backward<T>(const RnnLayerGradArgs<T>&, cudaStream_t);  \
  template void gru_layer<T>(const RnnLayerArgs<T>&, cudaStream_t);                \
  template void gru_layer_backward<T>(const RnnLayerGradArgs<T>&, cudaStream_t);
FASTNN_CUDA_RNN_INSTANCES(float)
FASTNN_CUDA_RNN_INSTANCES(double)
#undef FASTNN_CUDA_RNN_INSTANCES

}  // namespace cuda
}  // namespace fastnn
