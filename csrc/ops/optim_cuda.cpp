// optim_cuda.cpp — the CUDA side of ops/optim.h: the same checks, then the launchers of cuda/optim.h.
#include "ops/cuda.h"

#include <type_traits>
#include <vector>

#include "core/error.h"
#include "cuda/optim.h"
#include "ops/optim.h"

namespace fastnn {
namespace cuda {

void optimizer_step(const OptimBatch& b, const OptimHyper& hp, cudaStream_t stream) {
  const std::vector<OptimStep> steps = check_optimizer_step(b, hp, kArrayDevice);
  std::vector<OptimTensor<float>> t32;
  std::vector<OptimTensor<double>> t64;
  std::vector<OptimStep> h32, h64;
  auto at = [](const std::vector<ArrayView>& v, size_t i, auto* type) {
    using E = std::remove_pointer_t<decltype(type)>;
    return v.empty() ? nullptr : v[i].as<E>();
  };
  for (size_t i = 0; i < b.p.size(); ++i) {
    if (b.p[i].dtype == DType::Float32) {
      float* f = nullptr;
      t32.push_back({b.p[i].as<float>(), b.g[i].as<const float>(), at(b.s0, i, f), at(b.s1, i, f), at(b.s2, i, f),
                     b.p[i].numel()});
      h32.push_back(steps[i]);
    } else {
      double* d = nullptr;
      t64.push_back({b.p[i].as<double>(), b.g[i].as<const double>(), at(b.s0, i, d), at(b.s1, i, d), at(b.s2, i, d),
                     b.p[i].numel()});
      h64.push_back(steps[i]);
    }
  }
  cuda::optimizer_step(t32.data(), h32.data(), int64_t(t32.size()), stream);
  cuda::optimizer_step(t64.data(), h64.data(), int64_t(t64.size()), stream);
}

}  // namespace cuda
}  // namespace fastnn
