// rnn_registry.cpp — every LSTM cell kernel variant, best first.
#include "cpu/rnn.h"

namespace fastnn {

const KernelList<LstmCellKernels>& lstm_cell_f32_kernels() {
  static const KernelList<LstmCellKernels> k = {
#ifdef FASTNN_X86_KERNELS
      {"lstm_cell_f32__avx512", Isa::Avx512, lstm_cell_f32__avx512(), false},
      {"lstm_cell_f32__avx2", Isa::Avx2, lstm_cell_f32__avx2(), false},
#endif
      {"lstm_cell_f32__ref", Isa::Generic, lstm_cell_f32__ref(), false},
  };
  return k;
}

}  // namespace fastnn
