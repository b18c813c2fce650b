// rnn_avx512.cpp — the LSTM and GRU cells (math/rnn_math.h) on the AVX512 vector traits.
#include "cpu/avx512/traits_avx512.h"
#include "cpu/rnn_cells.h"

namespace fastnn {

RnnCellKernels rnn_cell_f32__avx512() { return rnn::rnn_kernels<avx512::Avx512>(); }

}  // namespace fastnn
