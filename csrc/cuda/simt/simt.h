// simt.h — a SIMT emulator: the CUDA features fastnn's kernels use, for the host C++ compiler, so that
// the unchanged csrc/cuda/*.cu sources build into a CPU test module and run in CI without a GPU.
//
// Model. A launch runs its blocks one after another on the calling OS thread. Each thread of a block is
// a fiber (ucontext) that runs until it reaches a barrier (__syncthreads, __syncwarp, a warp shuffle) or
// returns; the scheduler then releases the barrier and resumes the waiting threads in a freshly
// shuffled order (seeded: simt::set_seed, FASTNN_SIMT_SEED; simt::last_seed reports it). A kernel that
// lacks a barrier therefore reads shared memory before another thread wrote it and gives a wrong result.
// Warp shuffles are rendezvous of the lanes named in the mask. __shared__ variables are block-scoped
// static storage (one block runs at a time per OS thread); dynamic shared memory is declared with
// FASTNN_DYNAMIC_SHARED (cuda/launch.h). Memory functions work on host memory.
//
// Misuse is an error (simt::SimtError), never silent: __syncthreads not reached by every thread, a
// warp mask naming an exited lane, a deadlock, block sizes over 1024. A CUDA feature not defined here
// fails to compile: add it here, with a test, before a kernel uses it.
//
// OS-thread mode (FASTNN_SIMT_OS_THREADS, on by default under ThreadSanitizer, which cannot follow
// fibers): each thread of a block is an OS thread, and barriers are a mutex and a condition variable
// with the same release rules (a barrier is released once no thread of the block is running, exactly
// where the fiber scheduler ends a pass). Shared memory is then plain static storage, and launches are
// serialized process-wide. A kernel missing a barrier is a data race between OS threads, which
// ThreadSanitizer reports even when the schedule happens to give the right result.
#pragma once

#if defined(__SANITIZE_THREAD__) && !defined(FASTNN_SIMT_OS_THREADS)
#define FASTNN_SIMT_OS_THREADS 1
#endif

#include <ucontext.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

// ------------------------------------------------------------------------------ language and types
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#if defined(FASTNN_SIMT_OS_THREADS)
#define __shared__ static  // the block's OS threads share it; one block runs at a time in the process
#else
#define __shared__ static thread_local
#endif

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(8) float2 {
  float x, y;
};
struct alignas(16) float4 {
  float x, y, z, w;
};
struct alignas(16) double2 {
  double x, y;
};
inline float2 make_float2(float x, float y) { return {x, y}; }
inline double2 make_double2(double x, double y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }

constexpr int warpSize = 32;

namespace simt {

class SimtError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Fiber {
  enum State { Ready, AtBlockBarrier, AtWarpBarrier, Done };
  ucontext_t ctx;
  uint3 tid;
  unsigned linear = 0;
  State state = Ready;
  unsigned warp_mask = 0;
  uint64_t exchange = 0;  // a lane's value during a warp shuffle
};

struct Block {
  uint3 idx{0, 0, 0};
  dim3 dim, grid;
  std::vector<Fiber> fibers;
  ucontext_t scheduler;
  Fiber* current = nullptr;
  std::function<void()> body;
  std::exception_ptr error;
  std::unique_ptr<std::max_align_t[]> dynamic_shared;
  // OS-thread mode: mu guards the states, `running` and the error. A thread at a barrier waits at its own
  // gate, which the thread that releases the barrier opens: the only happens-before edges are those of
  // CUDA's barrier (every arrival before every departure). (Waking through one shared mutex would order
  // a thread's writes after the barrier before the reads of every thread that wakes later, hiding races.)
  struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
  };
  std::mutex mu;
  std::unique_ptr<Gate[]> gates;
  unsigned running = 0;  // threads neither waiting nor done
  std::atomic<bool> failed{false};
};

#if defined(FASTNN_SIMT_OS_THREADS)
inline const char* mode() { return "OS-thread"; }
#else
inline const char* mode() { return "fiber"; }
#endif

inline thread_local Block* t_block = nullptr;
inline thread_local Fiber* t_self = nullptr;  // OS-thread mode: this OS thread's CUDA thread

inline Block& block() {
  if (t_block == nullptr) throw SimtError("a CUDA built-in was used outside a kernel launch");
  return *t_block;
}
#if defined(FASTNN_SIMT_OS_THREADS)
inline Fiber& self() { block(); return *t_self; }
#else
inline Fiber& self() { return *block().current; }
#endif

// ------------------------------------------------------------------------------ seeds
inline std::atomic<uint64_t>& seed_state() {
  static std::atomic<uint64_t> s{[] {
    const char* env = std::getenv("FASTNN_SIMT_SEED");
    return env ? std::strtoull(env, nullptr, 10) : uint64_t(0x5eed);
  }()};
  return s;
}
inline thread_local uint64_t t_last_seed = 0;
inline void set_seed(uint64_t s) { seed_state().store(s); }
inline uint64_t last_seed() { return t_last_seed; }  // the seed of this thread's last launch

// ------------------------------------------------------------------------------ scheduling
// Called when no thread of the block is running (every one waits at a barrier or is done): releases the
// warp barriers whose named lanes have all arrived, else the block barrier if every live thread is at
// it; misuse and deadlock throw. Returns the number of threads released (0: all are done).
inline unsigned release_barriers(Block& b) {
  const unsigned n = unsigned(b.fibers.size());
  unsigned live = 0, at_block = 0, released = 0;
  for (const Fiber& f : b.fibers) {
    live += f.state != Fiber::Done;
    at_block += f.state == Fiber::AtBlockBarrier;
  }
  if (live == 0) return 0;
  for (unsigned w = 0; w * 32 < n; ++w) {
    bool waiting = false, complete = true;
    for (unsigned lane = 0; lane < 32 && w * 32 + lane < n; ++lane) {
      const Fiber& f = b.fibers[w * 32 + lane];
      if (f.state != Fiber::AtWarpBarrier) continue;
      waiting = true;
      for (unsigned other = 0; other < 32 && w * 32 + other < n; ++other) {
        if (!((f.warp_mask >> other) & 1u)) continue;
        const Fiber& o = b.fibers[w * 32 + other];
        if (o.state == Fiber::Done)
          throw SimtError("warp sync: lane " + std::to_string(other) + " of warp " + std::to_string(w) +
                          " is named in the mask but has exited");
        if (o.state != Fiber::AtWarpBarrier) complete = false;
      }
    }
    if (waiting && complete)
      for (unsigned lane = 0; lane < 32 && w * 32 + lane < n; ++lane)
        if (b.fibers[w * 32 + lane].state == Fiber::AtWarpBarrier) {
          b.fibers[w * 32 + lane].state = Fiber::Ready;
          ++released;
        }
  }
  if (released) return released;
  if (at_block == live) {
    if (live != n)
      throw SimtError("__syncthreads() reached by " + std::to_string(live) + " of " + std::to_string(n) +
                      " threads of the block (the others have exited)");
    for (Fiber& f : b.fibers) f.state = Fiber::Ready;
    return n;
  }
  throw SimtError("deadlock: threads wait at __syncthreads() and at warp syncs that cannot complete");
}

#if defined(FASTNN_SIMT_OS_THREADS)
struct Aborted {};  // unwinds a waiting OS thread once another thread of its block has failed

inline void open_gate(Block::Gate& g) {
  std::lock_guard<std::mutex> lk(g.m);
  g.open = true;
  g.cv.notify_one();
}

// Under b.mu: the block failed; every waiting thread wakes and unwinds.
inline void fail_block(Block& b, std::exception_ptr e) {
  if (!b.error) b.error = e;
  b.failed.store(true);
  for (Fiber& f : b.fibers)
    if (f.state == Fiber::AtBlockBarrier || f.state == Fiber::AtWarpBarrier) open_gate(b.gates[f.linear]);
}

// Under b.mu: one thread stopped running (arrived at a barrier, or finished). Once none runs, release.
inline void on_stop(Block& b) {
  if (--b.running != 0 || b.error) return;
  std::vector<unsigned> waiting;
  for (const Fiber& f : b.fibers)
    if (f.state == Fiber::AtBlockBarrier || f.state == Fiber::AtWarpBarrier) waiting.push_back(f.linear);
  try {
    b.running = release_barriers(b);
  } catch (...) {
    fail_block(b, std::current_exception());
    return;
  }
  for (unsigned i : waiting)
    if (b.fibers[i].state == Fiber::Ready) open_gate(b.gates[i]);
}

inline void yield_to_scheduler(Fiber::State why, unsigned mask = 0) {
  Block& b = block();
  Fiber& f = *t_self;
  {
    std::lock_guard<std::mutex> lk(b.mu);
    f.state = why;
    f.warp_mask = mask;
    on_stop(b);
  }
  Block::Gate& g = b.gates[f.linear];
  {
    std::unique_lock<std::mutex> lk(g.m);
    g.cv.wait(lk, [&] { return g.open; });
    g.open = false;
  }
  if (b.failed.load()) throw Aborted{};
}
#else
inline void yield_to_scheduler(Fiber::State why, unsigned mask = 0) {
  Block& b = block();
  Fiber& f = *b.current;
  f.state = why;
  f.warp_mask = mask;
  swapcontext(&f.ctx, &b.scheduler);
}
#endif

inline void fiber_entry() {
  Block& b = *t_block;
  try {
    b.body();
  } catch (...) {
    if (!b.error) b.error = std::current_exception();
  }
  b.current->state = Fiber::Done;  // returning resumes the scheduler through uc_link
}

#if defined(FASTNN_SIMT_OS_THREADS)
class Scheduler {
 public:
  void run_block(Block& b, std::mt19937_64&) {
    const unsigned n = b.dim.x * b.dim.y * b.dim.z;
    b.fibers.assign(n, Fiber{});
    b.gates.reset(new Block::Gate[n]);
    b.running = n;
    b.error = nullptr;
    b.failed.store(false);
    std::vector<std::thread> threads;
    threads.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
      Fiber& f = b.fibers[i];
      f.linear = i;
      f.tid = {i % b.dim.x, (i / b.dim.x) % b.dim.y, i / (b.dim.x * b.dim.y)};
      threads.emplace_back([&b, &f] {
        t_block = &b;
        t_self = &f;
        std::exception_ptr failed;
        try {
          b.body();
        } catch (const Aborted&) {
        } catch (...) {
          failed = std::current_exception();
        }
        std::lock_guard<std::mutex> lk(b.mu);
        f.state = Fiber::Done;
        if (failed) fail_block(b, failed);
        on_stop(b);
      });
    }
    for (auto& t : threads) t.join();
    if (b.error) std::rethrow_exception(b.error);
  }
};

inline std::mutex& launch_mutex() {  // one block at a time in the process: __shared__ is plain static
  static std::mutex m;
  return m;
}
#else
class Scheduler {
 public:
  static constexpr size_t kStack = 128 * 1024;

  void run_block(Block& b, std::mt19937_64& rng) {
    const unsigned n = b.dim.x * b.dim.y * b.dim.z;
    if (stacks_.size() < n) stacks_.resize(n);
    b.fibers.assign(n, Fiber{});
    for (unsigned i = 0; i < n; ++i) {
      Fiber& f = b.fibers[i];
      f.linear = i;
      f.tid = {i % b.dim.x, (i / b.dim.x) % b.dim.y, i / (b.dim.x * b.dim.y)};
      if (!stacks_[i]) stacks_[i].reset(new char[kStack]);
      getcontext(&f.ctx);
      f.ctx.uc_stack.ss_sp = stacks_[i].get();
      f.ctx.uc_stack.ss_size = kStack;
      f.ctx.uc_link = &b.scheduler;
      makecontext(&f.ctx, fiber_entry, 0);
    }
    std::vector<unsigned> order(n);
    std::iota(order.begin(), order.end(), 0u);
    for (;;) {
      std::shuffle(order.begin(), order.end(), rng);
      for (unsigned i : order) {
        Fiber& f = b.fibers[i];
        if (f.state != Fiber::Ready) continue;
        b.current = &f;
        swapcontext(&b.scheduler, &f.ctx);
        if (b.error) std::rethrow_exception(b.error);  // the other fibers' stacks are abandoned
      }
      if (release_barriers(b) == 0) break;
    }
  }

 private:
  std::vector<std::unique_ptr<char[]>> stacks_;
};
#endif

inline thread_local Scheduler t_scheduler;  // keeps its fiber stacks between launches

// ------------------------------------------------------------------------------ errors, like the runtime's
enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorInvalidConfiguration = 9 };
inline thread_local cudaError_t t_last_error = cudaSuccess;

template <class... KArgs, class... Args>
void launch(void (*kernel)(KArgs...), dim3 grid, dim3 blockdim, size_t shared_bytes, Args&&... args) {
  const uint64_t threads = uint64_t(blockdim.x) * blockdim.y * blockdim.z;
  if (threads == 0 || threads > 1024 || blockdim.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
      grid.y > 65535 || grid.z > 65535 || shared_bytes > 227 * 1024) {
    t_last_error = cudaErrorInvalidConfiguration;
    return;
  }
  std::tuple<std::decay_t<KArgs>...> params(std::forward<Args>(args)...);  // by value, as a launch copies them
  const uint64_t seed = seed_state().fetch_add(1);
  t_last_seed = seed;
  std::mt19937_64 rng(seed);
  Block b;
  b.dim = blockdim;
  b.grid = grid;
  b.body = [&] { std::apply(kernel, params); };
  if (shared_bytes) b.dynamic_shared.reset(new std::max_align_t[(shared_bytes + sizeof(std::max_align_t) - 1) /
                                                                 sizeof(std::max_align_t)]);
  Block* outer = t_block;
  if (outer != nullptr) throw SimtError("a kernel launched from inside a kernel (dynamic parallelism)");
#if defined(FASTNN_SIMT_OS_THREADS)
  std::lock_guard<std::mutex> one_launch_at_a_time(launch_mutex());
#endif
  t_block = &b;
  try {
    for (unsigned z = 0; z < grid.z; ++z)
      for (unsigned y = 0; y < grid.y; ++y)
        for (unsigned x = 0; x < grid.x; ++x) {
          b.idx = {x, y, z};
          t_scheduler.run_block(b, rng);
        }
  } catch (...) {
    t_block = nullptr;
    throw;
  }
  t_block = nullptr;
}

template <class T>
T* dynamic_shared() {
  return reinterpret_cast<T*>(block().dynamic_shared.get());
}

// ------------------------------------------------------------------------------ warp shuffles
template <class T>
T shuffle(unsigned mask, T var, int width, unsigned (*source)(unsigned lane, unsigned w, int arg), int arg) {
  static_assert(std::is_trivially_copyable<T>::value && sizeof(T) <= 8, "shuffle of an unsupported type");
  if (width <= 0 || width > 32 || (width & (width - 1)) != 0) throw SimtError("shuffle width must be a power of 2 <= 32");
  Block& b = block();
  Fiber& me = self();
  std::memcpy(&me.exchange, &var, sizeof(T));
  yield_to_scheduler(Fiber::AtWarpBarrier, mask);  // every lane in the mask has published its value
  const unsigned lane = me.linear % 32, warp_base = me.linear - lane;
  const unsigned src = source(lane, unsigned(width), arg);
  T out = var;
  if (src != lane && ((mask >> src) & 1u) && warp_base + src < b.fibers.size())
    std::memcpy(&out, &b.fibers[warp_base + src].exchange, sizeof(T));
  yield_to_scheduler(Fiber::AtWarpBarrier, mask);  // every lane has read before any lane publishes again
  return out;
}

inline unsigned src_idx(unsigned lane, unsigned w, int a) { return (lane & ~(w - 1)) + (unsigned(a) & (w - 1)); }
inline unsigned src_xor(unsigned lane, unsigned w, int a) {
  const unsigned s = lane ^ unsigned(a);
  return (s & ~(w - 1)) == (lane & ~(w - 1)) ? s : lane;
}
inline unsigned src_down(unsigned lane, unsigned w, int a) {
  return (lane % w) + unsigned(a) < w ? lane + unsigned(a) : lane;
}
inline unsigned src_up(unsigned lane, unsigned w, int a) { return (lane % w) >= unsigned(a) ? lane - unsigned(a) : lane; }

template <class T>
T atomic_cas_loop(T* address, const std::function<T(T)>& update) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  auto* word = reinterpret_cast<Bits*>(address);
  Bits old_bits = __atomic_load_n(word, __ATOMIC_RELAXED);
  for (;;) {
    T old;
    std::memcpy(&old, &old_bits, sizeof(T));
    const T next = update(old);
    Bits next_bits;
    std::memcpy(&next_bits, &next, sizeof(T));
    if (__atomic_compare_exchange_n(word, &old_bits, next_bits, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return old;
  }
}

}  // namespace simt

// ------------------------------------------------------------------------------ built-in variables
#define threadIdx (::simt::self().tid)
#define blockIdx (::simt::block().idx)
#define blockDim (::simt::block().dim)
#define gridDim (::simt::block().grid)

// ------------------------------------------------------------------------------ synchronisation
inline void __syncthreads() { ::simt::yield_to_scheduler(::simt::Fiber::AtBlockBarrier); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::simt::yield_to_scheduler(::simt::Fiber::AtWarpBarrier, mask); }
template <class T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = 32) {
  return ::simt::shuffle(mask, var, width, ::simt::src_idx, src_lane);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32) {
  return ::simt::shuffle(mask, var, width, ::simt::src_xor, lane_mask);
}
template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32) {
  return ::simt::shuffle(mask, var, width, ::simt::src_down, int(delta));
}
template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32) {
  return ::simt::shuffle(mask, var, width, ::simt::src_up, int(delta));
}

// ------------------------------------------------------------------------------ atomics (device-wide)
inline float atomicAdd(float* a, float v) { return ::simt::atomic_cas_loop<float>(a, [v](float o) { return o + v; }); }
inline double atomicAdd(double* a, double v) { return ::simt::atomic_cas_loop<double>(a, [v](double o) { return o + v; }); }
inline int atomicAdd(int* a, int v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }
inline unsigned atomicAdd(unsigned* a, unsigned v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }
inline int atomicMax(int* a, int v) {
  return ::simt::atomic_cas_loop<int>(a, [v](int o) { return o > v ? o : v; });
}
inline int atomicCAS(int* a, int expected, int desired) {
  __atomic_compare_exchange_n(a, &expected, desired, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return expected;  // the old value, as CUDA returns
}
inline unsigned atomicCAS(unsigned* a, unsigned expected, unsigned desired) {
  __atomic_compare_exchange_n(a, &expected, desired, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return expected;
}

// ------------------------------------------------------------------------------ loads and math intrinsics
template <class T>
T __ldg(const T* p) {
  return *p;
}
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned i; std::memcpy(&i, &f, 4); return i; }
inline float __uint_as_float(unsigned i) { float f; std::memcpy(&f, &i, 4); return f; }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.f / std::sqrt(x); }
inline float __saturatef(float x) { return x < 0.f ? 0.f : x > 1.f ? 1.f : x; }
using std::max;
using std::min;

// ------------------------------------------------------------------------------ runtime API (host memory)
using ::simt::cudaError_t;
using ::simt::cudaErrorInvalidConfiguration;
using ::simt::cudaErrorInvalidValue;
using ::simt::cudaSuccess;
using cudaStream_t = struct simt_stream*;
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice,
                      cudaMemcpyDefault };
inline cudaError_t cudaGetLastError() {
  const cudaError_t e = ::simt::t_last_error;
  ::simt::t_last_error = cudaSuccess;
  return e;
}
inline cudaError_t cudaPeekAtLastError() { return ::simt::t_last_error; }
inline const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
  }
  return "unknown error";
}
inline cudaError_t cudaMalloc(void** p, size_t bytes) {
  *p = std::malloc(bytes ? bytes : 1);
  return *p ? cudaSuccess : cudaErrorInvalidValue;
}
template <class T>
cudaError_t cudaMalloc(T** p, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(p), bytes);
}
inline cudaError_t cudaFree(void* p) { std::free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind) {
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}
inline cudaError_t cudaMemset(void* p, int value, size_t bytes) {
  std::memset(p, value, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t) { return cudaMemset(p, value, bytes); }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
