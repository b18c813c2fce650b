// optim_ref.cpp — the optimizer steps on scalars (math/optim_math.h): the oracle of the SIMD variants,
// and the float64 path.
#include "math/optim_math.h"
#include "math/traits_ref.h"

namespace fastnn {

void optim_f32__ref(const OptimStep& h, const OptimTensor<float>& t) { optim::step<ref::Scalar<float>>(h, t); }
void optim_step_f64(const OptimStep& h, const OptimTensor<double>& t) { optim::step<ref::Scalar<double>>(h, t); }

}  // namespace fastnn
