#include "ops/ceilings.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "core/memory.h"
#include "core/thread_pool.h"
#include "cpu/bandwidth.h"
#include "cpu/fma_peak.h"

namespace fastnn {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<char, FreeDeleter>;

constexpr int64_t kGrain = int64_t(64) << 10;  // 64 KiB chunks per task

// A page-aligned buffer of `bytes`, first touched in parallel so its pages are mapped before timing. On
// transparent huge pages where it can be, as fastnn's large outputs and numpy's arrays are: whether the
// kernel happened to give them otherwise varied the memory figure by a third within one run.
Buffer touched_buffer(int64_t bytes, int fill, const char* op) {
  Buffer b(static_cast<char*>(std::aligned_alloc(4096, size_t(bytes))));
  if (!b) fail(ErrorKind::Runtime, op, ": cannot allocate ", bytes, " bytes");
  advise_huge_pages(b.get(), bytes);
  parallel_for(bytes, kGrain, [&](int64_t lo, int64_t hi) { std::memset(b.get() + lo, fill, size_t(hi - lo)); });
  return b;
}

}  // namespace

float run_fma_peak_kernel(const std::string& kernel, int64_t iters, double* flops) {
  if (iters < 0) fail(ErrorKind::Value, "fastnn._C.run_fma_peak_kernel: iters must be >= 0, got ", iters);
  return pick_kernel(fma_peak_f32_kernels(), "fma_peak_f32", kernel, "fastnn._C.run_fma_peak_kernel").fn(iters, flops);
}

Ceiling measure_fma_gflops(double seconds, const std::string& kernel) {
  if (!(seconds > 0)) fail(ErrorKind::Value, "fastnn._C.measure_fma_gflops: seconds must be > 0");
  const auto& k = pick_kernel(fma_peak_f32_kernels(), "fma_peak_f32", kernel, "fastnn._C.measure_fma_gflops");
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

Ceiling measure_bandwidth_gbps(int64_t bytes, int reps, const std::string& pattern) {
  const char* op = "fastnn._C.measure_bandwidth_gbps";  // a bench helper, not an op of fastnn.ops
  if (bytes < (64 << 10) || reps < 1) fail(ErrorKind::Value, op, ": need bytes >= 64 KiB and reps >= 1");
  if (pattern != "copy" && pattern != "read" && pattern != "update")
    fail(ErrorKind::Value, op, ": pattern must be 'copy', 'read' or 'update', got '", pattern, "'");
  bytes -= bytes % 8;
  const Buffer src = touched_buffer(bytes, 1, op);
  const Buffer dst = pattern == "copy" ? touched_buffer(bytes, 0, op) : nullptr;
  auto* words = reinterpret_cast<uint64_t*>(src.get());
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    if (pattern == "copy") {
      parallel_for(bytes, kGrain, [&](int64_t b, int64_t e) { copy_bytes(src.get() + b, dst.get() + b, e - b); });
    } else if (pattern == "read") {
      parallel_for(bytes / 8, kGrain / 8, [&](int64_t b, int64_t e) {
        sink.fetch_add(sum_words(words + b, e - b), std::memory_order_relaxed);  // keeps the sums alive
      });
    } else {
      parallel_for(bytes / 8, kGrain / 8, [&](int64_t b, int64_t e) { add_one_words(words + b, e - b); });
    }
    const double moved = pattern == "read" ? double(bytes) : 2.0 * double(bytes);
    best = std::max(best, moved / seconds_since(t0) / 1e9);
  }
  // Each word's value is known afterwards: a wrong one means the loop did not touch what it timed.
  const uint64_t ones = 0x0101010101010101ull, updated = ones + uint64_t(reps);
  const bool ok = pattern == "copy"   ? std::memcmp(src.get(), dst.get(), size_t(bytes)) == 0
                  : pattern == "read" ? sink.load() == uint64_t(bytes / 8) * ones * uint64_t(reps)
                                      : words[0] == updated && words[bytes / 8 - 1] == updated;
  if (!ok) fail(ErrorKind::Runtime, op, ": wrong checksum for pattern '", pattern, "'");
  const char* what = pattern == "copy" ? "memcpy" : pattern == "read" ? "sum of 64-bit words" : "in-place add";
  return {best, what, get_num_threads()};
}

}  // namespace fastnn
