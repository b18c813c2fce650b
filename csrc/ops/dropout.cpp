// dropout.cpp — see dropout.h. Work is split in chunks of whole mask bytes (multiples of 64 elements), so
// threads never share a byte of the mask; the chunks run cpu/dropout.h's kernels.
#include "ops/dropout.h"

#include "core/error.h"
#include "cpu/dropout.h"
#include "ops/eltwise.h"

namespace fastnn {

uint32_t dropout_threshold(double p, const char* op) {
  if (!(p >= 0.0 && p < 1.0)) fail(ErrorKind::Value, op, ": p must be in [0, 1), got ", p);
  return uint32_t(p * 4294967296.0);
}

void dropout(const ArrayView& x, const ArrayView& y, uint8_t* mask, double p, uint64_t seed) {
  const char* op = "dropout";
  const uint32_t threshold = dropout_threshold(p, op);
  check_elementwise(x, "input", y, "out", op);
  const int64_t n = x.numel();
  if (n > 0 && !mask) fail(ErrorKind::Value, op, ": mask is null");
  parallel_for(n, kEltwiseGrain, [&](int64_t b, int64_t e) {
    if (x.dtype == DType::Float32)
      dropout_chunk(x.as<const float>(), y.as<float>(), mask, b, e, threshold, float(1.0 / (1.0 - p)), seed);
    else
      dropout_chunk(x.as<const double>(), y.as<double>(), mask, b, e, threshold, 1.0 / (1.0 - p), seed);
  });
}

void dropout_backward(const ArrayView& dy, const uint8_t* mask, const ArrayView& dx, double p) {
  const char* op = "dropout_backward";
  dropout_threshold(p, op);
  check_elementwise(dy, "grad_output", dx, "out", op);
  const int64_t n = dy.numel();
  if (n > 0 && !mask) fail(ErrorKind::Value, op, ": mask is null");
  parallel_for(n, kEltwiseGrain, [&](int64_t b, int64_t e) {
    if (dy.dtype == DType::Float32) dropout_backward_chunk(dy.as<const float>(), mask, dx.as<float>(), b, e, float(1.0 / (1.0 - p)));
    else dropout_backward_chunk(dy.as<const double>(), mask, dx.as<double>(), b, e, 1.0 / (1.0 - p));
  });
}

}  // namespace fastnn
