// dropout.cpp — see dropout.h. Work is split in chunks of whole mask bytes (multiples of 64 elements), so
// threads never share a byte of the mask. Portable code: the draw is a few 64-bit multiplies per 2 elements.
#include "ops/dropout.h"

#include <algorithm>

#include "core/error.h"
#include "ops/eltwise.h"

namespace fastnn {
namespace {

template <class T>
void forward(const T* x, T* y, uint8_t* mask, int64_t begin, int64_t end, uint32_t threshold, T scale, uint64_t seed) {
  for (int64_t i = begin; i < end; i += 8) {
    uint8_t bits = 0;
    const int64_t stop = std::min<int64_t>(end, i + 8);
    for (int64_t j = i; j < stop; j += 2) {
      const uint64_t h = splitmix64(seed + uint64_t(j / 2));
      const bool k0 = uint32_t(h) >= threshold, k1 = uint32_t(h >> 32) >= threshold;
      bits = uint8_t(bits | (k0 << (j - i)));
      y[j] = k0 ? x[j] * scale : T(0);
      if (j + 1 < stop) {
        bits = uint8_t(bits | (k1 << (j + 1 - i)));
        y[j + 1] = k1 ? x[j + 1] * scale : T(0);
      }
    }
    mask[i / 8] = bits;
  }
}

template <class T>
void backward(const T* dy, const uint8_t* mask, T* dx, int64_t begin, int64_t end, T scale) {
  for (int64_t i = begin; i < end; ++i) dx[i] = (mask[i / 8] >> (i % 8) & 1) ? dy[i] * scale : T(0);
}

}  // namespace

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
      forward(x.as<const float>(), y.as<float>(), mask, b, e, threshold, float(1.0 / (1.0 - p)), seed);
    else
      forward(x.as<const double>(), y.as<double>(), mask, b, e, threshold, 1.0 / (1.0 - p), seed);
  });
}

void dropout_backward(const ArrayView& dy, const uint8_t* mask, const ArrayView& dx, double p) {
  const char* op = "dropout_backward";
  dropout_threshold(p, op);
  check_elementwise(dy, "grad_output", dx, "out", op);
  const int64_t n = dy.numel();
  if (n > 0 && !mask) fail(ErrorKind::Value, op, ": mask is null");
  parallel_for(n, kEltwiseGrain, [&](int64_t b, int64_t e) {
    if (dy.dtype == DType::Float32) backward(dy.as<const float>(), mask, dx.as<float>(), b, e, float(1.0 / (1.0 - p)));
    else backward(dy.as<const double>(), mask, dx.as<double>(), b, e, 1.0 / (1.0 - p));
  });
}

}  // namespace fastnn
