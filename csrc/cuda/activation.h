// activation.h — CUDA launchers of the elementwise activations (cuda/activation.cu; the math and the
// formulas: cpu/activation.h). Raw device pointers, contiguous [n]; `dx` may be `dy` and `y` may be `x`.
// Every launcher takes the stream to run on, returns at once for n == 0 and checks the launch.
#pragma once
#include <cstdint>

#include "core/activation_params.h"
#include "cuda/launch.h"

namespace fastnn {
namespace cuda {

void activation_f32(Act act, const ActParams& p, const float* x, float* y, int64_t n, cudaStream_t stream);
void activation_f64(Act act, const ActParams& p, const double* x, double* y, int64_t n, cudaStream_t stream);
void activation_backward_f32(Act act, const ActParams& p, const float* dy, const float* s, float* dx, int64_t n,
                             cudaStream_t stream);
void activation_backward_f64(Act act, const ActParams& p, const double* dy, const double* s, double* dx, int64_t n,
                             cudaStream_t stream);

}  // namespace cuda
}  // namespace fastnn
