// rnn_avx512.cpp — the LSTM cell (cpu/rnn_math.h) on the AVX512 vector traits.
#include "cpu/avx512/traits_avx512.h"
#include "cpu/rnn_math.h"

namespace fastnn {

LstmCellKernels lstm_cell_f32__avx512() { return rnn::lstm_kernels<avx512::Avx512>(); }

}  // namespace fastnn
