// rnn_ref.cpp — the LSTM cell (cpu/rnn_math.h) on scalars with libm: the oracle of the SIMD variants, and
// the float64 path.
#include "cpu/ref/traits_ref.h"
#include "cpu/rnn_math.h"

namespace fastnn {

LstmCellKernels lstm_cell_f32__ref() { return rnn::lstm_kernels<ref::Scalar<float>>(); }

const LstmCellKernelsT<double>& lstm_cell_f64() {
  static const LstmCellKernelsT<double> k = rnn::lstm_kernels<ref::Scalar<double>>();
  return k;
}

}  // namespace fastnn
