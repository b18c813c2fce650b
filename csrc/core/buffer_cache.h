// buffer_cache.h — a cache of large host buffers for op outputs.
//
// Why: a fresh multi-MiB output is a fresh mapping from the OS, and every first touch of a page costs a
// fault (here ~1 us per 4 KiB page; the kernel also zeroes each page). For a memory-bound op that doubles
// the time (16M-element activation: 3-4 ms into a reused buffer, 6-9 ms into a fresh one), and torch's CPU
// allocator (glibc malloc) returns big blocks to the OS on free. Training loops allocate the same sizes
// every step, so buffers freed by one step serve the next: already mapped, already faulted in.
//
// Buffers come from mmap (with the huge-page hint); a freed buffer goes back to the cache unless that would
// take the cache's idle bytes past the limit (then it is unmapped). Requests are rounded up to a multiple of
// 64 KiB and served only by a cached buffer of exactly that rounded size (no splitting, no fragmentation).
// Thread-safe. The limit defaults to 1 GiB (FASTNN_OUTPUT_CACHE=<bytes> at import sets it; 0 turns the
// cache off: every buffer is unmapped when freed).
#pragma once
#include <cstdint>
#include <new>

namespace fastnn {

// At least `bytes` bytes, 64-byte aligned (null when the OS refuses). Free with cached_free.
void* cached_alloc(int64_t bytes);
void cached_free(void* p);

struct BufferCacheInfo {
  int64_t limit;     // most idle bytes kept
  int64_t cached;    // idle bytes kept now
  int64_t live;      // bytes handed out and not yet freed
  int64_t hits, misses;
};
BufferCacheInfo buffer_cache_info();
void set_buffer_cache_limit(int64_t bytes);  // unmaps idle buffers beyond the new limit
void empty_buffer_cache();                   // unmaps every idle buffer

// n elements of T (uninitialized: for scratch that is written before it is read) from the cache, given
// back when the array goes out of scope: a large per-call scratch (an RNN's gate gradients) is faulted in
// once, not at every call. Throws on allocation failure.
template <class T>
class CachedArray {
 public:
  explicit CachedArray(int64_t n) : p_(static_cast<T*>(n > 0 ? cached_alloc(n * int64_t(sizeof(T))) : nullptr)) {
    if (n > 0 && !p_) throw std::bad_alloc();
  }
  ~CachedArray() {
    if (p_) cached_free(p_);
  }
  CachedArray(const CachedArray&) = delete;
  CachedArray& operator=(const CachedArray&) = delete;
  T* data() const { return p_; }

 private:
  T* p_;
};

}  // namespace fastnn
