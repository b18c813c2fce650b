// rnn_params.h — a recurrent layer's checked sizes, shared by the CPU and CUDA code and the ops
// (ops/rnn.h).
#pragma once
#include <cstdint>

namespace fastnn {

struct RnnShape {
  int64_t T, B, I, H;  // steps, batch, input size, hidden size
};

}  // namespace fastnn
