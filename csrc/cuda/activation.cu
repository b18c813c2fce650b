// activation.cu — the elementwise activations of cpu/activation.h on CUDA (the same source runs on the CPU
// through the SIMT emulator). The math is the CPU reference's, written once in math/activation_math.h over
// the scalar traits of math/traits_ref.h: in device code their std:: functions are CUDA's device libm
// (expf, tanhf, erff, expm1f, log1pf: 1-2 ulp), so results match the CPU within a few ulp.
// shapes: x, y, dy, s, dx contiguous [n], 64-bit indices.
// variants: float: one float4 (16-byte load/store per operand and thread) where every pointer is 16-byte
//   aligned, for the first 4*floor(n/4) elements, then a scalar kernel for the rest; double: scalar.
//   Grid-stride loops (cuda/launch.h).
// bench: fastnn-bench --filter activation (GPU columns when a GPU is present)
#include "cuda/activation.h"

#include <cstdint>

#include "math/activation_math.h"
#include "math/traits_ref.h"

namespace fastnn {
namespace cuda {
namespace {

template <class E>
using ActMath = act::Math<ref::Scalar<E>>;

bool all_aligned16(std::initializer_list<const void*> ps) {
  for (const void* p : ps)
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;
  return true;
}

template <Act A, class E>
__global__ void act_forward_kernel(ActParams p, const E* x, E* y, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = ActMath<E>::template forward<A>(p, x[i]);
}

template <Act A>
__global__ void act_forward_f32x4_kernel(ActParams p, const float4* x, float4* y, int64_t n4) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += int64_t(gridDim.x) * blockDim.x) {
    const float4 v = x[i];
    y[i] = make_float4(ActMath<float>::forward<A>(p, v.x), ActMath<float>::forward<A>(p, v.y),
                       ActMath<float>::forward<A>(p, v.z), ActMath<float>::forward<A>(p, v.w));
  }
}

template <Act A, class E>
__global__ void act_backward_kernel(ActParams p, const E* dy, const E* s, E* dx, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    dx[i] = ActMath<E>::template backward<A>(p, dy[i], s[i]);
}

template <Act A>
__global__ void act_backward_f32x4_kernel(ActParams p, const float4* dy, const float4* s, float4* dx, int64_t n4) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += int64_t(gridDim.x) * blockDim.x) {
    const float4 g = dy[i], v = s[i];
    dx[i] = make_float4(ActMath<float>::backward<A>(p, g.x, v.x), ActMath<float>::backward<A>(p, g.y, v.y),
                        ActMath<float>::backward<A>(p, g.z, v.z), ActMath<float>::backward<A>(p, g.w, v.w));
  }
}

template <Act A>
void forward_f32(const ActParams& p, const float* x, float* y, int64_t n, cudaStream_t stream) {
  const int64_t n4 = all_aligned16({x, y}) ? n / 4 : 0;
  launch_grid_stride(act_forward_f32x4_kernel<A>, n4, stream, p, reinterpret_cast<const float4*>(x),
                     reinterpret_cast<float4*>(y), n4);
  launch_grid_stride(act_forward_kernel<A, float>, n - 4 * n4, stream, p, x + 4 * n4, y + 4 * n4, n - 4 * n4);
}

template <Act A>
void backward_f32(const ActParams& p, const float* dy, const float* s, float* dx, int64_t n, cudaStream_t stream) {
  const int64_t n4 = all_aligned16({dy, s, dx}) ? n / 4 : 0;
  launch_grid_stride(act_backward_f32x4_kernel<A>, n4, stream, p, reinterpret_cast<const float4*>(dy),
                     reinterpret_cast<const float4*>(s), reinterpret_cast<float4*>(dx), n4);
  launch_grid_stride(act_backward_kernel<A, float>, n - 4 * n4, stream, p, dy + 4 * n4, s + 4 * n4, dx + 4 * n4,
                     n - 4 * n4);
}

}  // namespace

void activation_f32(Act act, const ActParams& p, const float* x, float* y, int64_t n, cudaStream_t stream) {
  switch (act) {
#define FASTNN_CUDA_ACT_FWD(name) case Act::name: return forward_f32<Act::name>(p, x, y, n, stream);
    FASTNN_ACT_CASES(FASTNN_CUDA_ACT_FWD)
#undef FASTNN_CUDA_ACT_FWD
  }
}

void activation_f64(Act act, const ActParams& p, const double* x, double* y, int64_t n, cudaStream_t stream) {
  switch (act) {
#define FASTNN_CUDA_ACT_FWD(name) \
  case Act::name: return launch_grid_stride(act_forward_kernel<Act::name, double>, n, stream, p, x, y, n);
    FASTNN_ACT_CASES(FASTNN_CUDA_ACT_FWD)
#undef FASTNN_CUDA_ACT_FWD
  }
}

void activation_backward_f32(Act act, const ActParams& p, const float* dy, const float* s, float* dx, int64_t n,
                             cudaStream_t stream) {
  switch (act) {
#define FASTNN_CUDA_ACT_BWD(name) case Act::name: return backward_f32<Act::name>(p, dy, s, dx, n, stream);
    FASTNN_ACT_CASES(FASTNN_CUDA_ACT_BWD)
#undef FASTNN_CUDA_ACT_BWD
  }
}

void activation_backward_f64(Act act, const ActParams& p, const double* dy, const double* s, double* dx, int64_t n,
                             cudaStream_t stream) {
  switch (act) {
#define FASTNN_CUDA_ACT_BWD(name)                                                                            \
  case Act::name:                                                                                             \
    return launch_grid_stride(act_backward_kernel<Act::name, double>, n, stream, p, dy, s, dx, n);
    FASTNN_ACT_CASES(FASTNN_CUDA_ACT_BWD)
#undef FASTNN_CUDA_ACT_BWD
  }
}

}  // namespace cuda
}  // namespace fastnn
