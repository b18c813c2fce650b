// optim.cu — optimizer steps on CUDA for many tensors per launch (the same source runs on the CPU through
// the SIMT emulator). The update is math/optim_math.h's, per element over the scalar traits (FASTNN_HD), so
// device and host follow the same order of operations.
//   A launch carries up to kTensorsPerLaunch tensors in its parameters (pointers, sizes, per-tensor scalars):
//   grid.y picks the tensor, grid.x blocks walk its elements grid-stride. A param group of k tensors takes
//   ceil(k / kTensorsPerLaunch) launches.
// bench: fastnn-bench --filter optim (GPU columns when a GPU is present)
#include "cuda/optim.h"

#include <algorithm>
#include <cstdint>

#include "math/optim_math.h"
#include "math/traits_ref.h"

namespace fastnn {
namespace cuda {
namespace {

constexpr int kTensorsPerLaunch = 16;  // keeps the kernel's parameters under 4 KiB
constexpr int kOptimBlock = 256;

template <class E>
struct OptimLaunch {
  OptimTensor<E> t[kTensorsPerLaunch];
  OptimStep h[kTensorsPerLaunch];
};

template <class E, Optim K>
__global__ void optim_kernel(OptimLaunch<E> L) {
  const OptimTensor<E>& t = L.t[blockIdx.y];
  const OptimStep& h = L.h[blockIdx.y];
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < t.n; i += int64_t(gridDim.x) * blockDim.x) {
    E p = t.p[i], s0 = t.s0 ? t.s0[i] : E(0), s1 = t.s1 ? t.s1[i] : E(0), s2 = t.s2 ? t.s2[i] : E(0);
    optim::Math<ref::Scalar<E>>::template update<K>(h, p, t.g[i], s0, s1, s2);
    t.p[i] = p;
    if (t.s0) t.s0[i] = s0;
    if (t.s1) t.s1[i] = s1;
    if (t.s2) t.s2[i] = s2;
  }
}

template <class E, Optim K>
void launch_batches(const OptimTensor<E>* t, const OptimStep* h, int64_t count, cudaStream_t stream) {
  for (int64_t first = 0; first < count; first += kTensorsPerLaunch) {
    OptimLaunch<E> L{};
    const int k = int(std::min<int64_t>(kTensorsPerLaunch, count - first));
    int64_t most = 0;
    for (int j = 0; j < k; ++j) {
      L.t[j] = t[first + j];
      L.h[j] = h[first + j];
      most = std::max(most, L.t[j].n);
    }
    if (most == 0) continue;
    const int64_t want = (most + kOptimBlock - 1) / kOptimBlock;
    const dim3 grid{unsigned(std::min<int64_t>(want, 1024)), unsigned(k)};
    auto* const kernel = optim_kernel<E, K>;  // (a name with a comma would split the macro's arguments)
    FASTNN_LAUNCH(kernel, grid, kOptimBlock, 0, stream, L);
    FASTNN_CUDA_CHECK(cudaGetLastError());
  }
}

}  // namespace

template <class E>
void optimizer_step(const OptimTensor<E>* t, const OptimStep* h, int64_t count, cudaStream_t stream) {
  if (count == 0) return;
  switch (h[0].kind) {  // one kind per call (a param group)
    case Optim::Adam: return launch_batches<E, Optim::Adam>(t, h, count, stream);
    case Optim::Sgd: return launch_batches<E, Optim::Sgd>(t, h, count, stream);
    case Optim::RmsProp: return launch_batches<E, Optim::RmsProp>(t, h, count, stream);
    case Optim::Adagrad: return launch_batches<E, Optim::Adagrad>(t, h, count, stream);
  }
}

template void optimizer_step<float>(const OptimTensor<float>*, const OptimStep*, int64_t, cudaStream_t);
template void optimizer_step<double>(const OptimTensor<double>*, const OptimStep*, int64_t, cudaStream_t);

}  // namespace cuda
}  // namespace fastnn
