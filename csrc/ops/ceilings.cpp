#include "ops/ceilings.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "core/thread_pool.h"
#include "cpu/fma_peak.h"

namespace fastnn {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

}  // namespace

float run_fma_peak_kernel(const std::string& kernel, int64_t iters, double* flops) {
  if (iters < 0) fail(ErrorKind::Value, "fma_peak: iters must be >= 0, got ", iters);
  return pick_kernel(fma_peak_f32_kernels(), "fma_peak_f32", kernel).fn(iters, flops);
}

Ceiling measure_fma_gflops(double seconds, const std::string& kernel) {
  if (!(seconds > 0)) fail(ErrorKind::Value, "measure_fma_gflops: seconds must be > 0");
  const auto& k = pick_kernel(fma_peak_f32_kernels(), "fma_peak_f32", kernel);
  // Calibrate one work unit to ~1 ms on one thread; each of 3 rounds then runs ~seconds/3 of wall time.
  double flops = 0;
  int64_t iters = 1 << 12;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    k.fn(iters, &flops);
    if (seconds_since(t0) > 1e-3 || iters > (int64_t(1) << 40)) break;
    iters *= 2;
  }
  const int threads = get_num_threads();
  const int64_t units = std::max<int64_t>(8 * threads, int64_t(seconds / 3 / 1e-3) * threads);
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    std::atomic<int64_t> total_flops{0};
    std::atomic<uint32_t> sink{0};
    const auto t0 = std::chrono::steady_clock::now();
    parallel_for(units, 1, [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        double f = 0;
        const float r = k.fn(iters, &f);
        total_flops.fetch_add(int64_t(f), std::memory_order_relaxed);
        sink.fetch_add(r > 0.f, std::memory_order_relaxed);  // keeps the loop's result alive
      }
    });
    best = std::max(best, double(total_flops.load()) / seconds_since(t0) / 1e9);
  }
  return {best, k.name, threads};
}

Ceiling measure_copy_gbps(int64_t bytes, int reps) {
  if (bytes < (64 << 10) || reps < 1) fail(ErrorKind::Value, "measure_copy_gbps: need bytes >= 64 KiB and reps >= 1");
  std::unique_ptr<char, FreeDeleter> src(static_cast<char*>(std::aligned_alloc(4096, size_t(bytes))));
  std::unique_ptr<char, FreeDeleter> dst(static_cast<char*>(std::aligned_alloc(4096, size_t(bytes))));
  if (!src || !dst) fail(ErrorKind::Runtime, "measure_copy_gbps: cannot allocate 2 x ", bytes, " bytes");
  constexpr int64_t kGrain = int64_t(64) << 10;  // 64 KiB chunks
  // First touch in parallel, so the pages are mapped (and spread) before timing.
  parallel_for(bytes, kGrain, [&](int64_t b, int64_t e) {
    std::memset(src.get() + b, 1, size_t(e - b));
    std::memset(dst.get() + b, 0, size_t(e - b));
  });
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    parallel_for(bytes, kGrain, [&](int64_t b, int64_t e) { std::memcpy(dst.get() + b, src.get() + b, size_t(e - b)); });
    best = std::max(best, 2.0 * double(bytes) / seconds_since(t0) / 1e9);
  }
  return {best, "memcpy", get_num_threads()};
}

}  // namespace fastnn
