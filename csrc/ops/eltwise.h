// eltwise.h — how elementwise ops split contiguous work across the thread pool.
#pragma once
#include <cstdint>

#include "core/thread_pool.h"

namespace fastnn {

// Below this many elements per chunk, waking another thread (a few microseconds) costs more than the
// work it takes over (well under a nanosecond per element per thread for a memory-bound op).
constexpr int64_t kEltwiseGrain = 16384;

// fn(offset, count) on [0, n) in parallel chunks.
template <class F>
void eltwise_parallel(int64_t n, F&& fn) {
  parallel_for(n, kEltwiseGrain, [&](int64_t begin, int64_t end) { fn(begin, end - begin); });
}

}  // namespace fastnn
