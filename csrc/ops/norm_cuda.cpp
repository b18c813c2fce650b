// norm_cuda.cpp — the CUDA side of ops/norm.h: the same checks, then the launchers of cuda/norm.h.
#include "ops/cuda.h"

#include "core/error.h"
#include "cuda/norm.h"
#include "ops/norm.h"

namespace fastnn {
namespace cuda {

void batch_norm(const ArrayView& x, const ArrayView* weight, const ArrayView* bias, const ArrayView* running_mean,
                const ArrayView* running_var, bool training, double factor, double eps, const ArrayView& y,
                const ArrayView& save_mean, const ArrayView& save_invstd, cudaStream_t stream) {
  const BnShape s = check_batch_norm(x, weight, bias, running_mean, running_var, training, eps, y, save_mean,
                                     save_invstd, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::batch_norm(BatchNormArgs<T>{s, x.as<const T>(), data_or_null<T>(weight), data_or_null<T>(bias),
                                      mut_or_null<T>(running_mean), mut_or_null<T>(running_var), training, factor, eps,
                                      y.as<T>(), save_mean.as<T>(), save_invstd.as<T>()},
                     stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void batch_norm_backward(const ArrayView& gy, const ArrayView& x, const ArrayView* weight, const ArrayView& save_mean,
                         const ArrayView& save_invstd, bool training, const ArrayView* gx, const ArrayView* gw,
                         const ArrayView* gb, cudaStream_t stream) {
  const BnShape s = check_batch_norm_backward(gy, x, weight, save_mean, save_invstd, gx, gw, gb, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::batch_norm_backward(BatchNormGradArgs<T>{s, gy.as<const T>(), x.as<const T>(), data_or_null<T>(weight),
                                                   save_mean.as<const T>(), save_invstd.as<const T>(), training,
                                                   mut_or_null<T>(gx), mut_or_null<T>(gw), mut_or_null<T>(gb)},
                              stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void layer_norm(const ArrayView& x, int64_t d, const ArrayView* weight, const ArrayView* bias, double eps,
                const ArrayView& y, const ArrayView& mean, const ArrayView& rstd, cudaStream_t stream) {
  const int64_t M = check_layer_norm(x, d, weight, bias, eps, y, mean, rstd, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::layer_norm(x.as<const T>(), M, d, data_or_null<T>(weight), data_or_null<T>(bias), eps, y.as<T>(),
                     mean.as<T>(), rstd.as<T>(), stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

void layer_norm_backward(const ArrayView& gy, const ArrayView& x, int64_t d, const ArrayView* weight,
                         const ArrayView& mean, const ArrayView& rstd, const ArrayView* gx, const ArrayView* gw,
                         const ArrayView* gb, cudaStream_t stream) {
  const int64_t M = check_layer_norm_backward(gy, x, d, weight, mean, rstd, gx, gw, gb, kArrayDevice);
  auto run = [&](auto* type) {
    using T = std::remove_pointer_t<decltype(type)>;
    cuda::layer_norm_backward(gy.as<const T>(), x.as<const T>(), M, d, data_or_null<T>(weight), mean.as<const T>(),
                              rstd.as<const T>(), mut_or_null<T>(gx), mut_or_null<T>(gw), mut_or_null<T>(gb), stream);
  };
  x.dtype == DType::Float32 ? run(static_cast<float*>(nullptr)) : run(static_cast<double*>(nullptr));
}

}  // namespace cuda
}  // namespace fastnn
