// dropout.h — inverted dropout on elements [begin, end) of x (begin a multiple of 8: whole mask bytes):
//   forward  element i kept iff the 32-bit draw of splitmix64(seed + i / 2) (low half for even i, high
//            half for odd i; math/rng.h) >= threshold; y[i] = kept ? x[i] * scale : 0; mask bit i % 8 of
//            byte i / 8 = kept.
//   backward dx[i] = mask bit i ? dy[i] * scale : 0.
// Portable (cpu/ref/dropout_ref.cpp), float and double; ops/dropout.cpp checks and splits the work.
// bench: fastnn-bench --filter dropout
#pragma once
#include <cstdint>

namespace fastnn {

template <class T>
void dropout_chunk(const T* x, T* y, uint8_t* mask, int64_t begin, int64_t end, uint32_t threshold, T scale,
                   uint64_t seed);
template <class T>
void dropout_backward_chunk(const T* dy, const uint8_t* mask, T* dx, int64_t begin, int64_t end, T scale);

}  // namespace fastnn
