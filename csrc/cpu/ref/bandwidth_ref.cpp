// bandwidth_ref.cpp — the ceilings' bandwidth loops (cpu/bandwidth.h).
#include <cstring>

#include "cpu/bandwidth.h"

namespace fastnn {

void copy_bytes(const char* src, char* dst, int64_t n) { std::memcpy(dst, src, size_t(n)); }

// Eight independent accumulators: the adds never wait on each other, so the loop runs at the load ports'
// rate (the compiler vectorizes it).
uint64_t sum_words(const uint64_t* p, int64_t n) {
  uint64_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += p[i + j];
  for (; i < n; ++i) acc[0] += p[i];
  uint64_t s = 0;
  for (uint64_t a : acc) s += a;
  return s;
}

void add_one_words(uint64_t* w, int64_t n) {
  for (int64_t i = 0; i < n; ++i) w[i] += 1;
}

}  // namespace fastnn
