// optim_avx512.cpp — the optimizer steps (math/optim_math.h) on 16-lane vectors; the tail is one masked vector.
#include "cpu/avx512/traits_avx512.h"
#include "math/optim_math.h"

namespace fastnn {

void optim_f32__avx512(const OptimStep& h, const OptimTensor<float>& t) { optim::step<avx512::Avx512>(h, t); }

}  // namespace fastnn
