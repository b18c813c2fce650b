// rnn_ref.cpp — the LSTM and GRU cells (math/rnn_math.h) on scalars with libm: the oracle of the SIMD variants, and
// the float64 path.
#include "math/traits_ref.h"
#include "cpu/rnn_cells.h"

namespace fastnn {

RnnCellKernels rnn_cell_f32__ref() { return rnn::rnn_kernels<ref::Scalar<float>>(); }

const RnnCellKernelsT<double>& rnn_cell_f64() {
  static const RnnCellKernelsT<double> k = rnn::rnn_kernels<ref::Scalar<double>>();
  return k;
}

}  // namespace fastnn
