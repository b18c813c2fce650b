// rng.h — the counter-based random stream of dropout (ops/dropout.h), the same on the CPU
// and on CUDA (FASTNN_HD).
#pragma once
#include <cstdint>

#include "core/host_device.h"

namespace fastnn {

// The stream's draw for pair j = i / 2 is splitmix64(seed + j) (shared with cuda/dropout.cu: the same seed
// gives the same mask on either device).
FASTNN_HD inline uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace fastnn
