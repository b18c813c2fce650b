// optim_avx2.cpp — the optimizer steps (math/optim_math.h) on 8-lane vectors; the tail is one masked vector.
#include "cpu/avx2/traits_avx2.h"
#include "math/optim_math.h"

namespace fastnn {

void optim_f32__avx2(const OptimStep& h, const OptimTensor<float>& t) { optim::step<avx2::Avx2>(h, t); }

}  // namespace fastnn
