#include "core/buffer_cache.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <unordered_map>

#include "core/memory.h"

#if defined(__linux__) || defined(__APPLE__)
#include <sys/mman.h>
#endif

namespace fastnn {
namespace {

constexpr int64_t kGranule = 64 << 10;

int64_t initial_limit() {
  const char* env = std::getenv("FASTNN_OUTPUT_CACHE");
  if (env && *env) {
    char* end = nullptr;
    const long long v = std::strtoll(env, &end, 10);
    if (end && *end == '\0' && v >= 0) return v;
  }
  return int64_t(1) << 30;
}

struct Cache {
  std::mutex mu;
  int64_t limit = initial_limit(), cached = 0, live = 0, hits = 0, misses = 0;
  std::multimap<int64_t, void*> idle;           // rounded size -> buffer
  std::unordered_map<void*, int64_t> size_of;   // every buffer handed out or idle
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: tensors may be freed during interpreter shutdown
  return *c;
}

void* map_bytes(int64_t bytes) {
#if defined(__linux__) || defined(__APPLE__)
  void* p = mmap(nullptr, size_t(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  advise_huge_pages(p, bytes);
  return p;
#else
  return std::aligned_alloc(64, size_t(bytes));
#endif
}

void unmap_bytes(void* p, int64_t bytes) {
#if defined(__linux__) || defined(__APPLE__)
  (void)munmap(p, size_t(bytes));
#else
  (void)bytes;
  std::free(p);
#endif
}

// Unmaps idle buffers (largest first) until at most `keep` idle bytes remain. Called with mu held.
void trim(Cache& c, int64_t keep) {
  while (c.cached > keep && !c.idle.empty()) {
    auto it = std::prev(c.idle.end());
    c.cached -= it->first;
    c.size_of.erase(it->second);
    unmap_bytes(it->second, it->first);
    c.idle.erase(it);
  }
}

}  // namespace

void* cached_alloc(int64_t bytes) {
  const int64_t size = (std::max<int64_t>(bytes, 1) + kGranule - 1) / kGranule * kGranule;
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    // The most recently freed buffer of that size (equal keys keep insertion order): the likeliest to be
    // still in cache. (find() gave the oldest.)
    const auto range = c.idle.equal_range(size);
    if (range.first != range.second) {
      const auto it = std::prev(range.second);
      void* p = it->second;
      c.idle.erase(it);
      c.cached -= size;
      c.live += size;
      ++c.hits;
      return p;
    }
    ++c.misses;
  }
  void* p = map_bytes(size);  // (outside the lock: mapping can take a while)
  if (!p) return nullptr;
  std::lock_guard<std::mutex> lock(c.mu);
  c.size_of[p] = size;
  c.live += size;
  return p;
}

void cached_free(void* p) {
  if (!p) return;
  Cache& c = cache();
  int64_t size = 0;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.size_of.find(p);
    if (it == c.size_of.end()) return;  // not ours: nothing to do (never happens through the bindings)
    size = it->second;
    c.live -= size;
    if (c.cached + size <= c.limit) {
      c.idle.emplace(size, p);
      c.cached += size;
      return;
    }
    c.size_of.erase(it);
  }
  unmap_bytes(p, size);
}

BufferCacheInfo buffer_cache_info() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return BufferCacheInfo{c.limit, c.cached, c.live, c.hits, c.misses};
}

void set_buffer_cache_limit(int64_t bytes) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.limit = bytes < 0 ? 0 : bytes;
  trim(c, c.limit);
}

void empty_buffer_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  trim(c, 0);
}

}  // namespace fastnn
