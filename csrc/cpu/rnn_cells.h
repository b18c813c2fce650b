// rnn_cells.h — the rnn_cell kernel table (cpu/rnn.h) of the cells of math/rnn_math.h over vector traits T;
// included only by the kernel files (cpu/ref, cpu/avx2, cpu/avx512), each compiled for its ISA.
#pragma once
#include "cpu/rnn.h"
#include "math/rnn_math.h"

namespace fastnn::rnn {

template <class T>
RnnCellKernelsT<typename T::E> rnn_kernels() {
  return {lstm_forward<T>, lstm_backward<T>, gru_forward<T>, gru_backward<T>};
}

}  // namespace fastnn::rnn
