// bandwidth.h — the memory-bandwidth loops of the benchmark's ceilings (ops/ceilings.cpp times them on
// every pool thread, each on its own chunk):
//   copy_bytes     dst[i] = src[i] (memcpy: stores through the cache, each destination line read first)
//   sum_words      sum of n 64-bit words (each line crosses the bus once)
//   add_one_words  w[i] += 1 for n 64-bit words (each line crosses the bus once each way)
// Portable (cpu/ref/bandwidth_ref.cpp): at memory sizes the loops wait on memory, not on their width.
// bench: fastnn-bench (the ceilings it prints first)
#pragma once
#include <cstdint>

namespace fastnn {

void copy_bytes(const char* src, char* dst, int64_t n);
uint64_t sum_words(const uint64_t* p, int64_t n);
void add_one_words(uint64_t* w, int64_t n);

}  // namespace fastnn
