#include "core/thread_pool.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"

namespace fastnn {
namespace {

thread_local bool t_in_parallel = false;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

constexpr auto kSpin = std::chrono::microseconds(50);

class ThreadPool {
 public:
  explicit ThreadPool(int nthreads) {
    for (int w = 1; w < nthreads; ++w) workers_.emplace_back([this] { worker_loop(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int size() const { return int(workers_.size()) + 1; }
  std::mutex& run_mutex() { return run_mu_; }

  // Caller holds run_mutex(). Chunks are claimed from an atomic counter by the caller and by every
  // worker that wakes in time, so a worker whose core is busy (torch's OpenMP threads spin for
  // milliseconds after each torch op) slows nothing down: the others take its chunks.
  void run(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn) {
    const Job job{&fn, n, chunk, (n + chunk - 1) / chunk};
    error_ = nullptr;
    next_.store(0, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = job;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    t_in_parallel = true;
    claim_chunks(job);
    t_in_parallel = false;
    {
      // Close the job: a worker that wakes from now on finds nothing to do.
      std::lock_guard<std::mutex> lk(mu_);
      job_.nchunks = 0;
    }
    for (int spins = 0; active_.load(std::memory_order_acquire) != 0; ++spins) {
      if (spins < 4096) cpu_relax(); else std::this_thread::yield();
    }
    if (error_) std::rethrow_exception(error_);
  }

 private:
  struct Job {
    const std::function<void(int64_t, int64_t)>* fn = nullptr;
    int64_t n = 0, chunk = 0, nchunks = 0;
  };

  void claim_chunks(const Job& job) {
    for (int64_t i; (i = next_.fetch_add(1, std::memory_order_relaxed)) < job.nchunks;) {
      const int64_t begin = i * job.chunk, end = std::min(job.n, begin + job.chunk);
      try {
        (*job.fn)(begin, end);
      } catch (...) {
        std::lock_guard<std::mutex> lk(err_mu_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  void worker_loop() {
    t_in_parallel = true;
    uint64_t seen = 0;
    for (;;) {
      const auto spin_until = std::chrono::steady_clock::now() + kSpin;
      while (generation_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < spin_until)
        for (int i = 0; i < 64; ++i) cpu_relax();
      Job job;
      {
        // Joining a job happens under the lock, after which the caller cannot return (it waits for
        // active_ to drop to 0): the job's function stays alive for as long as this worker uses it.
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
        seen = generation_.load(std::memory_order_relaxed);
        if (stop_) return;
        job = job_;
        if (job.nchunks == 0) continue;
        active_.fetch_add(1, std::memory_order_relaxed);
      }
      claim_chunks(job);
      active_.fetch_sub(1, std::memory_order_release);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex run_mu_;  // one job at a time
  std::mutex mu_;      // guards the job fields below against the sleeping workers' wake-up
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> next_{0};  // next chunk to claim
  std::atomic<int> active_{0};    // workers inside the current job
  bool stop_ = false;
  Job job_;
  std::mutex err_mu_;
  std::exception_ptr error_;
};

struct PoolState {
  std::mutex mu;  // guards pool and nthreads
  std::shared_ptr<ThreadPool> pool;
  int nthreads = default_num_threads();
};

PoolState* g_state = nullptr;
bool g_forked_child = false;  // set in a child after fork(): libgomp's team does not survive fork

// The GNU OpenMP runtime already in the process (torch loads torch/lib/libgomp.so.1), if any. Its
// workers spin for milliseconds after each torch op; a short fastnn op started then waits for a core
// behind them and runs on the calling thread alone (measured: 0.56-0.96x torch on a 6.4 MiB ReLU
// alternating with torch ops, 0.98-1.03x on torch's team). So while that runtime is loaded, fastnn's
// parallel loops run on its team: the spinning workers take fastnn's chunks at once. Never in a
// forked child (libgomp's team does not survive fork), nor with FASTNN_OWN_POOL=1.
using GompParallelFn = void (*)(void (*)(void*), void*, unsigned, unsigned);

// How many shared objects the process has loaded so far (glibc's count of loads, dlpi_adds): a cheap
// way to know that nothing new, libgomp included, has appeared since the last look.
uint64_t objects_loaded() {
  uint64_t adds = 0;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t size, void* out) -> int {
        if (size >= offsetof(dl_phdr_info, dlpi_adds) + sizeof(info->dlpi_adds))
          *static_cast<uint64_t*>(out) = info->dlpi_adds;
        return 1;  // the first object carries the count
      },
      &adds);
  return adds;
}
GompParallelFn loaded_gomp() {
  static const bool opted_out = [] {
    const char* v = std::getenv("FASTNN_OWN_POOL");
    return v != nullptr && *v != '\0' && std::string(v) != "0";
  }();
  static std::atomic<GompParallelFn> found{nullptr};
  static std::atomic<uint64_t> missed_at{~uint64_t(0)};  // objects_loaded() at the last miss
  if (g_forked_child || opted_out) return nullptr;
  GompParallelFn f = found.load(std::memory_order_acquire);
  if (f) return f;
  // dlopen(RTLD_NOLOAD) of a library that is not loaded still opens, maps and unmaps it (~25 us, and the
  // unmap's TLB-shootdown interrupt lands on the worker threads): after a miss, look again only once
  // another shared object has been loaded (torch may be imported later).
  const uint64_t loaded = objects_loaded();
  if (loaded == missed_at.load(std::memory_order_relaxed)) return nullptr;
  void* h = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);  // only if already loaded; never loads it
  if (!h) {
    missed_at.store(loaded, std::memory_order_relaxed);
    return nullptr;
  }
  f = reinterpret_cast<GompParallelFn>(dlsym(h, "GOMP_parallel"));
  dlclose(h);  // the runtime stays loaded: its loader (torch) holds it
  found.store(f, std::memory_order_release);
  return f;
}

// A parallel loop on libgomp's team: every team thread claims chunks, as in ThreadPool::run.
struct GompJob {
  const std::function<void(int64_t, int64_t)>* fn;
  int64_t n, chunk, nchunks;
  std::atomic<int64_t> next{0};
  std::mutex err_mu;
  std::exception_ptr error;
};

void gomp_team_body(void* p) {
  auto* job = static_cast<GompJob*>(p);
  const bool outer = t_in_parallel;
  t_in_parallel = true;
  for (int64_t i; (i = job->next.fetch_add(1, std::memory_order_relaxed)) < job->nchunks;) {
    const int64_t begin = i * job->chunk, end = std::min(job->n, begin + job->chunk);
    try {
      (*job->fn)(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lk(job->err_mu);
      if (!job->error) job->error = std::current_exception();
    }
  }
  t_in_parallel = outer;
}

// About 16 chunks per thread: enough for the claim counter to even out a slow thread, few enough that
// claiming (one atomic add) is noise. Chunks are whole multiples of the grain.
int64_t chunk_size(int64_t n, int64_t grain, int threads) {
  const int64_t target = (n + 16 * int64_t(threads) - 1) / (16 * int64_t(threads));
  return (std::max(grain, target) + grain - 1) / grain * grain;
}

// fork(): the child has none of the parent's workers. It forgets the old state (leaked: its mutexes
// and threads are meaningless there) and builds a new pool on first use.
void atfork_prepare() {
  g_state->mu.lock();
  if (g_state->pool) g_state->pool->run_mutex().lock();
}
void atfork_parent() {
  if (g_state->pool) g_state->pool->run_mutex().unlock();
  g_state->mu.unlock();
}
void atfork_child() {
  g_forked_child = true;
  const int n = g_state->nthreads;
  g_state = new PoolState();
  g_state->nthreads = n;
}

PoolState& state() {
  static const bool init = [] {
    g_state = new PoolState();  // never destroyed: workers may still be parked at interpreter exit
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    return true;
  }();
  (void)init;
  return *g_state;
}

}  // namespace

int default_num_threads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

int get_num_threads() {
  PoolState& s = state();
  std::lock_guard<std::mutex> lk(s.mu);
  return s.nthreads;
}

void set_num_threads(int n) {
  if (n < 1) fail(ErrorKind::Value, "fastnn.set_num_threads: expected a number of threads >= 1, got ", n);
  PoolState& s = state();
  std::shared_ptr<ThreadPool> old;
  {
    std::lock_guard<std::mutex> lk(s.mu);
    if (n == s.nthreads) return;
    s.nthreads = n;
    old = std::move(s.pool);
  }
  if (old) std::lock_guard<std::mutex> wait_for_job(old->run_mutex());
  // `old` is joined here, or by the last parallel_for still holding it.
}

const char* thread_backend() {
  return loaded_gomp() ? "libgomp team (the OpenMP runtime torch loaded)" : "fastnn pool";
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  if (t_in_parallel || n <= grain) return fn(0, n);
  PoolState& s = state();
  if (GompParallelFn gomp = loaded_gomp()) {
    const int threads = get_num_threads();
    const int64_t chunk = chunk_size(n, grain, threads);
    if (threads == 1 || chunk >= n) return fn(0, n);
    GompJob job{&fn, n, chunk, (n + chunk - 1) / chunk, {}, {}, nullptr};
    gomp(gomp_team_body, &job, unsigned(threads), 0);
    if (job.error) std::rethrow_exception(job.error);
    return;
  }
  std::shared_ptr<ThreadPool> pool;
  {
    std::lock_guard<std::mutex> lk(s.mu);
    if (s.nthreads > 1) {
      if (!s.pool) s.pool = std::make_shared<ThreadPool>(s.nthreads);
      pool = s.pool;
    }
  }
  // fn never runs under s.mu: it may itself ask for the thread count or nest a parallel_for (the GEMM
  // inside conv2d does; with one thread that deadlocked here).
  if (!pool) return fn(0, n);
  std::unique_lock<std::mutex> busy(pool->run_mutex(), std::try_to_lock);
  if (!busy.owns_lock()) return fn(0, n);  // another Python thread is using the pool
  const int64_t chunk = chunk_size(n, grain, pool->size());
  if (chunk >= n) return fn(0, n);
  pool->run(n, chunk, fn);
}

}  // namespace fastnn
