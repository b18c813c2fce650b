// thread_pool.h — fastnn's CPU threads: parallel_for over its own pool, or over the OpenMP team of the
// libgomp that torch loaded, while one is in the process (thread_pool.cpp says why and when).
// Pool workers spin for a few tens of microseconds after a job, then sleep on a condition variable, so
// that they do not hold a core that torch's pool needs for the next op of the same training step.
// Safe across fork(): a child process starts with no workers and builds a fresh pool on first use.
#pragma once
#include <cstdint>
#include <functional>

namespace fastnn {

int default_num_threads();   // CPUs this process may run on (sched_getaffinity)
int get_num_threads();
void set_num_threads(int n); // n >= 1; waits for a running job, then resizes
const char* thread_backend(); // which of the two runs parallel_for now

// Calls fn(begin, end) on disjoint chunks that cover [0, n), on up to get_num_threads() threads
// (chunks are claimed dynamically: a thread that is slowed down takes fewer). Chunks are whole
// multiples of `grain` (so a grain of 64 elements keeps two threads off one cache line of an output).
// Runs inline when the work is small, when called from inside a parallel region, or when another
// thread is using the pool. Rethrows the first exception of a chunk.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace fastnn
