// optim.h — optimizer steps, one pass over each parameter tensor's memory: read p, g and the state, write
// p and the state (Adam: 28 B per float32 parameter). torch.optim's formulas, in its order of operations
// (g = -g if maximize; L2 weight decay g += wd p):
//   Adam     (AdamW: decoupled, p *= 1 - lr wd first) m += (1 - b1)(g - m);  v = b2 v + (1 - b2) g g;
//            amsgrad: vmax = max(vmax, v), d = vmax else d = v;  p -= step_size m / (sqrt(d) / bc2_sqrt + eps)
//            with step_size = lr / (1 - b1^t), bc2_sqrt = sqrt(1 - b2^t)            state: m, v, (vmax)
//   Sgd      momentum: buf = first ? g : momentum buf + (1 - dampening) g;  g = nesterov ? g + momentum buf
//            : buf;  p -= lr g                                                      state: (buf)
//   RmsProp  sq = alpha sq + (1 - alpha) g g;  centered: ga += (1 - alpha)(g - ga), avg = sqrt(sq - ga ga)
//            else sqrt(sq);  avg += eps;  momentum > 0: buf = momentum buf + g / avg, p -= lr buf
//            else p -= lr g / avg                                                  state: sq, (buf), (ga)
//   Adagrad  sum += g g;  p -= clr g / (sqrt(sum) + eps), clr = lr / (1 + (t - 1) lr_decay)   state: sum
// The math is written once (math/optim_math.h) over the vector traits of math/activation_math.h; the CUDA
// kernels (cuda/optim.cu) run the same math per element. Kernels see one contiguous chunk of one tensor;
// ops/optim.cpp splits many tensors into chunks across threads.
// bench: fastnn-bench --filter optim
#pragma once
#include <cstdint>

#include "core/optim_params.h"
#include "cpu/registry.h"

namespace fastnn {


using OptimKernel = void (*)(const OptimStep& h, const OptimTensor<float>& t);

void optim_f32__ref(const OptimStep& h, const OptimTensor<float>& t);
// float64 parameters run the reference math in double
void optim_step_f64(const OptimStep& h, const OptimTensor<double>& t);
#ifdef FASTNN_X86_KERNELS
void optim_f32__avx2(const OptimStep& h, const OptimTensor<float>& t);
void optim_f32__avx512(const OptimStep& h, const OptimTensor<float>& t);
#endif

const KernelList<OptimKernel>& optim_f32_kernels();

}  // namespace fastnn
