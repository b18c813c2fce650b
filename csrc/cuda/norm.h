// norm.h — CUDA launchers of batch and layer normalization (cuda/norm.cu; semantics: ops/norm.h). Raw
// device pointers, contiguous; every launcher takes the stream to run on. Optional operands are null.
#pragma once
#include <cstdint>

#include "cuda/launch.h"
#include "core/norm_params.h"

namespace fastnn {
namespace cuda {

template <class T>
struct BatchNormArgs {
  BnShape s;
  const T *x, *w, *b;
  T *running_mean, *running_var;  // read in eval mode, updated in training mode (each may be null there)
  bool training;
  double factor, eps;
  T *y, *save_mean, *save_invstd;
};

template <class T>
struct BatchNormGradArgs {
  BnShape s;
  const T *gy, *x, *w, *save_mean, *save_invstd;
  bool training;
  T *gx, *gw, *gb;  // each may be null
};

template <class T>
void batch_norm(const BatchNormArgs<T>& a, cudaStream_t stream);
template <class T>
void batch_norm_backward(const BatchNormGradArgs<T>& a, cudaStream_t stream);
// x (M, d) as rows of d; mean, rstd (M) out.
template <class T>
void layer_norm(const T* x, int64_t M, int64_t d, const T* w, const T* b, double eps, T* y, T* mean, T* rstd,
                cudaStream_t stream);
template <class T>
void layer_norm_backward(const T* gy, const T* x, int64_t M, int64_t d, const T* w, const T* mean, const T* rstd,
                         T* gx, T* gw, T* gb, cudaStream_t stream);

}  // namespace cuda
}  // namespace fastnn
