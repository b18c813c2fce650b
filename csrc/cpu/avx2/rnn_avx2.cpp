// rnn_avx2.cpp — the LSTM cell (cpu/rnn_math.h) on the AVX2 vector traits.
#include "cpu/avx2/traits_avx2.h"
#include "cpu/rnn_math.h"

namespace fastnn {

LstmCellKernels lstm_cell_f32__avx2() { return rnn::lstm_kernels<avx2::Avx2>(); }

}  // namespace fastnn
