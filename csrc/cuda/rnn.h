// rnn.h — CUDA launchers of the LSTM and GRU layers (cuda/rnn.cu; semantics: ops/rnn.h). Raw device
// pointers, contiguous; every launcher takes the stream to run on. Optional operands are null.
#pragma once
#include <cstdint>

#include "cuda/launch.h"
#include "core/rnn_params.h"

namespace fastnn {
namespace cuda {

template <class T>
struct RnnLayerArgs {
  RnnShape s;
  bool reverse;
  const T *x, *w_ih, *w_hh;
  const T *bias;         // LSTM: b_ih + b_hh (4H)
  const T *b_ih, *b_hh;  // GRU (3H each)
  const T *h0, *c0;      // c0: LSTM only
  T *h_all, *c_all, *act;  // c_all: LSTM only
};

template <class T>
struct RnnLayerGradArgs {
  RnnShape s;
  bool reverse;
  const T *x, *w_ih, *w_hh, *h0, *c0, *h_all, *c_all, *act;  // c0, c_all: LSTM only
  const T *dh_all, *dh_n, *dc_n;                            // dc_n: LSTM only
  T *dx, *dw_ih, *dw_hh, *db_ih, *db_hh, *dh0, *dc0;        // LSTM: db_ih is the bias gradient, db_hh and
                                                           // dc0 as named; GRU: no dc0
};

template <class T>
void lstm_layer(const RnnLayerArgs<T>& a, cudaStream_t stream);
template <class T>
void lstm_layer_backward(const RnnLayerGradArgs<T>& a, cudaStream_t stream);
template <class T>
void gru_layer(const RnnLayerArgs<T>& a, cudaStream_t stream);
template <class T>
void gru_layer_backward(const RnnLayerGradArgs<T>& a, cudaStream_t stream);

}  // namespace cuda
}  // namespace fastnn
