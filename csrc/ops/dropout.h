// dropout.h — inverted dropout with a counter-based random stream and a bit mask for the backward.
// Element i is kept iff the 32-bit draw h(seed, i) >= p * 2^32 (so P(keep) = 1 - p to within 2^-32);
// h is splitmix64 of seed + (i / 2) (each 64-bit draw serves two elements): the same seed gives the same
// mask on any thread count, and Python derives the seed from torch's generator (torch.manual_seed makes it
// reproducible). Kept elements are scaled by 1 / (1 - p). mask: ceil(n / 8) bytes, bit i % 8 of byte i / 8.
#pragma once
#include <cstdint>

#include "core/array_view.h"
#include "math/rng.h"

namespace fastnn {


// keep iff draw >= threshold: p * 2^32 rounded down (p < 1: fits in 32 bits). Value error unless 0 <= p < 1.
uint32_t dropout_threshold(double p, const char* op);

// y = x * keep / (1 - p), mask = keep bits. x, y: contiguous, same shape and dtype (y may be x). 0 <= p < 1.
void dropout(const ArrayView& x, const ArrayView& y, uint8_t* mask, double p, uint64_t seed);
// dx = dy * keep / (1 - p). dx may be dy.
void dropout_backward(const ArrayView& dy, const uint8_t* mask, const ArrayView& dx, double p);

}  // namespace fastnn
