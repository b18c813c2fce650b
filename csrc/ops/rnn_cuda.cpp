// rnn_cuda.cpp — the CUDA side of ops/rnn.h: the same checks, then the launchers of cuda/rnn.h.
#include "ops/cuda.h"

#include "core/error.h"
#include "cuda/rnn.h"
#include "ops/rnn.h"

namespace fastnn {
namespace cuda {

void lstm_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* bias,
                const ArrayView* h0, const ArrayView* c0, bool reverse, const ArrayView& h_all, const ArrayView& c_all,
                const ArrayView& act, cudaStream_t stream) {
  const RnnShape s = check_lstm_layer(x, w_ih, w_hh, bias, h0, c0, h_all, c_all, act, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::lstm_layer(RnnLayerArgs<T>{s, reverse, x.as<const T>(), w_ih.as<const T>(), w_hh.as<const T>(),
                                     data_or_null<T>(bias), nullptr, nullptr, data_or_null<T>(h0), data_or_null<T>(c0),
                                     h_all.as<T>(), c_all.as<T>(), act.as<T>()},
                     stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void lstm_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                         const ArrayView* c0, bool reverse, const ArrayView& h_all, const ArrayView& c_all,
                         const ArrayView& act, const ArrayView* dh_all, const ArrayView* dh_n, const ArrayView* dc_n,
                         const ArrayView* dx, const ArrayView* dw_ih, const ArrayView* dw_hh, const ArrayView* dbias,
                         const ArrayView* dh0, const ArrayView* dc0, cudaStream_t stream) {
  const RnnShape s = check_lstm_layer_backward(x, w_ih, w_hh, h0, c0, h_all, c_all, act, dh_all, dh_n, dc_n, dx, dw_ih,
                                               dw_hh, dbias, dh0, dc0, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::lstm_layer_backward(
        RnnLayerGradArgs<T>{s, reverse, x.as<const T>(), w_ih.as<const T>(), w_hh.as<const T>(), data_or_null<T>(h0),
                            data_or_null<T>(c0), h_all.as<const T>(), c_all.as<const T>(), act.as<const T>(),
                            data_or_null<T>(dh_all), data_or_null<T>(dh_n), data_or_null<T>(dc_n), mut_or_null<T>(dx),
                            mut_or_null<T>(dw_ih), mut_or_null<T>(dw_hh), mut_or_null<T>(dbias), nullptr,
                            mut_or_null<T>(dh0), mut_or_null<T>(dc0)},
        stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void gru_layer(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* b_ih,
               const ArrayView* b_hh, const ArrayView* h0, bool reverse, const ArrayView& h_all, const ArrayView& act,
               cudaStream_t stream) {
  const RnnShape s = check_gru_layer(x, w_ih, w_hh, b_ih, b_hh, h0, h_all, act, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::gru_layer(RnnLayerArgs<T>{s, reverse, x.as<const T>(), w_ih.as<const T>(), w_hh.as<const T>(), nullptr,
                                    data_or_null<T>(b_ih), data_or_null<T>(b_hh), data_or_null<T>(h0), nullptr,
                                    h_all.as<T>(), nullptr, act.as<T>()},
                    stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void gru_layer_backward(const ArrayView& x, const ArrayView& w_ih, const ArrayView& w_hh, const ArrayView* h0,
                        bool reverse, const ArrayView& h_all, const ArrayView& act, const ArrayView* dh_all,
                        const ArrayView* dh_n, const ArrayView* dx, const ArrayView* dw_ih, const ArrayView* dw_hh,
                        const ArrayView* db_ih, const ArrayView* db_hh, const ArrayView* dh0, cudaStream_t stream) {
  const RnnShape s = check_gru_layer_backward(x, w_ih, w_hh, h0, h_all, act, dh_all, dh_n, dx, dw_ih, dw_hh, db_ih,
                                              db_hh, dh0, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::gru_layer_backward(
        RnnLayerGradArgs<T>{s, reverse, x.as<const T>(), w_ih.as<const T>(), w_hh.as<const T>(), data_or_null<T>(h0),
                            nullptr, h_all.as<const T>(), nullptr, act.as<const T>(), data_or_null<T>(dh_all),
                            data_or_null<T>(dh_n), nullptr, mut_or_null<T>(dx), mut_or_null<T>(dw_ih),
                            mut_or_null<T>(dw_hh), mut_or_null<T>(db_ih), mut_or_null<T>(db_hh), mut_or_null<T>(dh0),
                            nullptr},
        stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

}  // namespace cuda
}  // namespace fastnn
