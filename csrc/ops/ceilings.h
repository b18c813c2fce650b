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
// Memory bandwidth of one access pattern over `bytes` of data, on every pool thread (best of `reps`),
// counting bytes read plus bytes written, as the benchmarks' GB/s do:
//   "copy":   memcpy between two buffers of `bytes` in 64 KiB chunks; it stores through the cache, so each
//             destination line is also read first (not counted: the bus moves 1.5x what is counted);
//   "read":   a sum over one buffer (each line crosses the bus once);
//   "update": every 64-bit word of one buffer read and written back in place (each line crosses the bus
//             once each way: what an optimizer step's in-place update or a streaming-store kernel moves).
// The harness rates memory-bound cases against the best of the three (bench/ceilings.py).
Ceiling measure_bandwidth_gbps(int64_t bytes, int reps, const std::string& pattern);
// One call of a registered FMA-throughput kernel (for the tests): its checksum and its flop count.
float run_fma_peak_kernel(const std::string& kernel, int64_t iters, double* flops);

}  // namespace fastnn
