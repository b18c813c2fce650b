// ceilings.h — the machine's measured ceilings, against which benchmarks report their fraction.
#pragma once
#include <cstdint>
#include <string>

namespace fastnn {

struct Ceiling {
  double value;         // GFLOP/s or GB/s, the best of the repeats
  std::string kernel;   // what measured it
  int threads;
};

// FP32 FMA throughput on every pool thread, measured for about `seconds` (best of 3 rounds).
Ceiling measure_fma_gflops(double seconds, const std::string& kernel = "");
// Copy bandwidth with memcpy over two buffers of `bytes` each, on every pool thread (best of `reps`);
// counts bytes read plus bytes written, as the benchmarks' GB/s do. memcpy runs on 64 KiB chunks, so
// it stores through the cache and also reads each destination line before writing it (not counted):
// a kernel with streaming stores, which skips that read, can reach up to 1.5x this figure.
Ceiling measure_copy_gbps(int64_t bytes, int reps);
// One call of a registered FMA-throughput kernel (for the tests): its checksum and its flop count.
float run_fma_peak_kernel(const std::string& kernel, int64_t iters, double* flops);

}  // namespace fastnn
