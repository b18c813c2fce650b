// rnn_registry.cpp — every RNN cell kernel variant (LSTM and GRU), best first.
#include "cpu/rnn.h"

namespace fastnn {

const KernelList<RnnCellKernels>& rnn_cell_f32_kernels() {
  static const KernelList<RnnCellKernels> k = {
#ifdef FASTNN_X86_KERNELS
      {"rnn_cell_f32__avx512", Isa::Avx512, rnn_cell_f32__avx512(), false},
      {"rnn_cell_f32__avx2", Isa::Avx2, rnn_cell_f32__avx2(), false},
#endif
      {"rnn_cell_f32__ref", Isa::Generic, rnn_cell_f32__ref(), false},
  };
  return k;
}

}  // namespace fastnn
