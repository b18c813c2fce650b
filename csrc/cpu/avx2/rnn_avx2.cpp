// rnn_avx2.cpp — the LSTM and GRU cells (math/rnn_math.h) on the AVX2 vector traits.
#include "cpu/avx2/traits_avx2.h"
#include "cpu/rnn_cells.h"

namespace fastnn {

RnnCellKernels rnn_cell_f32__avx2() { return rnn::rnn_kernels<avx2::Avx2>(); }

}  // namespace fastnn
