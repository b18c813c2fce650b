// rnn.h — the pointwise part of an LSTM time step, fused (ops/rnn.cpp runs the gate GEMMs around it).
// Rows of a batch; gates in torch's order [i f g o], each H wide (a row is 4H):
//   forward:  on entry g holds the pre-activations; on exit the activations i = s(.), f = s(.), g = tanh(.),
//             o = s(.) (saved for the backward); c = f c_prev + i g, h = o tanh(c).
//   backward: dh (the step's total output gradient) and dc (in: the gradient reaching c from step t+1; out:
//             the gradient of c_prev) give the pre-activation gradients dgates:
//             dc_t = dc + dh o (1 - tanh(c)^2); di = dc_t g i(1-i); df = dc_t c_prev f(1-f);
//             dg = dc_t i (1-g^2); do = dh tanh(c) o(1-o); dc_prev = dc_t f.
// c_prev may be null (zeros). Written once over the vector traits (cpu/rnn_math.h, the activation math of
// cpu/activation_math.h); float64 runs the scalar traits.
// bench: fastnn-bench --filter LSTM
#pragma once
#include <cstdint>

#include "cpu/registry.h"

namespace fastnn {

template <class E>
struct LstmCellKernelsT {
  void (*forward)(E* gates, const E* c_prev, E* c, E* h, int64_t rows, int64_t H);
  void (*backward)(const E* act, const E* c_prev, const E* c, const E* dh, E* dc, E* dgates, int64_t rows, int64_t H);
};
using LstmCellKernels = LstmCellKernelsT<float>;

LstmCellKernels lstm_cell_f32__ref();
#ifdef FASTNN_X86_KERNELS
LstmCellKernels lstm_cell_f32__avx2();
LstmCellKernels lstm_cell_f32__avx512();
#endif
const LstmCellKernelsT<double>& lstm_cell_f64();

const KernelList<LstmCellKernels>& lstm_cell_f32_kernels();

}  // namespace fastnn
