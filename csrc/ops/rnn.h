// rnn.h — one LSTM or GRU layer in one direction over a whole sequence, forward and backward, as torch
// computes it (LSTM gates [i f g o], GRU gates [r z n]; CPU, float32 and float64). The input projection of every step is one GEMM; each step
// then adds h_prev · w_hhᵀ (a GEMM) and runs the fused cell kernel (cpu/rnn.h). The backward runs the steps
// in reverse with one GEMM each (dh_prev = dgates · w_hh), then the weight and input gradients as three
// GEMMs over the whole sequence.
//
// lstm_layer: x (T, B, I); w_ih (4H, I); w_hh (4H, H); bias (4H) or null (b_ih + b_hh, summed by the
//   caller); h0, c0 (B, H) or null (zeros); reverse: steps from T-1 down to 0.
//   Out: h_all, c_all (T, B, H) (the output sequence and the cell states), act (T, B, 4H) (the gate
//   activations, for the backward). h_n / c_n are the rows of the last step processed.
// lstm_layer_backward: the forward's operands and outputs, dh_all (T, B, H) or null (the gradient of the
//   output sequence), dh_n, dc_n (B, H) or null; outputs dx (T, B, I), dw_ih, dw_hh, dbias (4H), dh0, dc0
//   (B, H), each may be null (not computed).
//
// gru_layer: x (T, B, I); w_ih (3H, I); w_hh (3H, H); b_ih, b_hh (3H) or null (apart: b_hh's n part is
//   scaled by r); h0 (B, H) or null. Out: h_all (T, B, H), act (T, B, 4H) ([r z n gh_n] of every step,
//   for the backward). Per step: gh = h_prev·w_hhᵀ + b_hh (a GEMM), then the fused cell kernel.
// gru_layer_backward: outputs dx, dw_ih, dw_hh, db_ih, db_hh, dh0, each may be null.
#pragma once
#include <string>

#include "core/array_view.h"
#include "core/rnn_params.h"

namespace fastnn {


void lstm_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* bias,
                const ArrayView* h0, const ArrayView* c0, bool reverse, const ArrayView& h_all, const ArrayView& c_all,
                const ArrayView& act, const std::string& kernel = "");
void lstm_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                         const ArrayView* c0, bool reverse, const ArrayView& h_all, const ArrayView& c_all,
                         const ArrayView& act, const ArrayView* dh_all, const ArrayView* dh_n, const ArrayView* dc_n,
                         const ArrayView* dx, const ArrayView* dw_ih, const ArrayView* dw_hh, const ArrayView* dbias,
                         const ArrayView* dh0, const ArrayView* dc0, const std::string& kernel = "");

void gru_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* b_ih,
               const ArrayView* b_hh, const ArrayView* h0, bool reverse, const ArrayView& h_all, const ArrayView& act,
               const std::string& kernel = "");
void gru_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                        bool reverse, const ArrayView& h_all, const ArrayView& act, const ArrayView* dh_all,
                        const ArrayView* dh_n, const ArrayView* dx, const ArrayView* dw_ih, const ArrayView* dw_hh,
                        const ArrayView* db_ih, const ArrayView* db_hh, const ArrayView* dh0,
                        const std::string& kernel = "");

// The checks of the entry points above, for arrays on `device` (the CUDA ops share them).
RnnShape check_lstm_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* bias,
                          const ArrayView* h0, const ArrayView* c0, const ArrayView& h_all, const ArrayView& c_all,
                          const ArrayView& act, DeviceType device);
RnnShape check_lstm_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                                   const ArrayView* c0, const ArrayView& h_all, const ArrayView& c_all,
                                   const ArrayView& act, const ArrayView* dh_all, const ArrayView* dh_n,
                                   const ArrayView* dc_n, const ArrayView* dx, const ArrayView* dw_ih,
                                   const ArrayView* dw_hh, const ArrayView* dbias, const ArrayView* dh0,
                                   const ArrayView* dc0, DeviceType device);
RnnShape check_gru_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* b_ih,
                         const ArrayView* b_hh, const ArrayView* h0, const ArrayView& h_all, const ArrayView& act,
                         DeviceType device);
RnnShape check_gru_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                                  const ArrayView& h_all, const ArrayView& act, const ArrayView* dh_all,
                                  const ArrayView* dh_n, const ArrayView* dx, const ArrayView* dw_ih,
                                  const ArrayView* dw_hh, const ArrayView* db_ih, const ArrayView* db_hh,
                                  const ArrayView* dh0, DeviceType device);

}  // namespace fastnn
