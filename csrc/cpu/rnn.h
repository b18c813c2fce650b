// rnn.h — the pointwise part of an LSTM or GRU time step, fused (ops/rnn.cpp runs the gate GEMMs around it).
// One kernel family (rnn_cell_f32) holds both cells. Rows of a batch, each H wide per gate:
// LSTM, gates in torch's order [i f g o] (a row is 4H):
//   forward:  on entry g holds the pre-activations; on exit the activations i = s(.), f = s(.), g = tanh(.),
//             o = s(.) (saved for the backward); c = f c_prev + i g, h = o tanh(c).
//   backward: dh (the step's total output gradient) and dc (in: the gradient reaching c from step t+1; out:
//             the gradient of c_prev) give the pre-activation gradients dgates:
//             dc_t = dc + dh o (1 - tanh(c)^2); di = dc_t g i(1-i); df = dc_t c_prev f(1-f);
//             dg = dc_t i (1-g^2); do = dh tanh(c) o(1-o); dc_prev = dc_t f.
// GRU, gates [r z n]: act rows are 4H, gh rows 3H:
//   forward:  on entry act[:, :3H] holds gi = x W_ihᵀ + b_ih, gh = h_prev W_hhᵀ + b_hh; on exit act holds
//             [r z n gh_n] (saved for the backward) and h = (1 - z) n + z h_prev,
//             r = s(gi_r + gh_r), z = s(gi_z + gh_z), n = tanh(gi_n + r gh_n).
//   backward: dh (total) gives dgi, dgh (rows 3H: the pre-activation gradients of gi and gh; their r and z
//             parts are equal) and dh_prev = dh z (the caller adds dgh · W_hh).
// c_prev / h_prev may be null (zeros). Written once over the vector traits (math/rnn_math.h, the activation
// math of math/activation_math.h; CUDA runs the same point math, cuda/rnn.cu); float64 runs the scalar traits.
// bench: fastnn-bench --filter LSTM, --filter GRU
#pragma once
#include <cstdint>

#include "cpu/registry.h"

namespace fastnn {

template <class E>
struct RnnCellKernelsT {
  void (*lstm_forward)(E* gates, const E* c_prev, E* c, E* h, int64_t rows, int64_t H);
  void (*lstm_backward)(const E* act, const E* c_prev, const E* c, const E* dh, E* dc, E* dgates, int64_t rows,
                        int64_t H);
  void (*gru_forward)(E* act, const E* gh, const E* h_prev, E* h, int64_t rows, int64_t H);
  void (*gru_backward)(const E* act, const E* h_prev, const E* dh, E* dgi, E* dgh, E* dh_prev, int64_t rows,
                       int64_t H);
};
using RnnCellKernels = RnnCellKernelsT<float>;

RnnCellKernels rnn_cell_f32__ref();
#ifdef FASTNN_X86_KERNELS
RnnCellKernels rnn_cell_f32__avx2();
RnnCellKernels rnn_cell_f32__avx512();
#endif
const RnnCellKernelsT<double>& rnn_cell_f64();

const KernelList<RnnCellKernels>& rnn_cell_f32_kernels();

}  // namespace fastnn
