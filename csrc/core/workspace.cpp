#include "core/workspace.h"

#include <cstdlib>
#include <memory>

#include "core/error.h"
#include "core/memory.h"

namespace fastnn {

void* thread_scratch(Scratch slot, int64_t bytes) {
  struct Buffer {
    std::unique_ptr<char, decltype(&std::free)> p{nullptr, &std::free};
    int64_t size = 0;
  };
  thread_local Buffer slots[int(Scratch::Count)];
  Buffer& b = slots[int(slot)];
  if (b.size < bytes) {
    constexpr size_t kHuge = size_t(2) << 20;
    const size_t align = size_t(bytes) >= kHuge ? kHuge : 64;
    const size_t rounded = (size_t(bytes) + align - 1) / align * align;
    char* fresh = static_cast<char*>(std::aligned_alloc(align, rounded));
    if (!fresh) fail(ErrorKind::Runtime, "cannot allocate ", rounded, " bytes of scratch memory");
    if (align == kHuge) advise_huge_pages(fresh, int64_t(rounded));
    b.p.reset(fresh);
    b.size = bytes;
  }
  return b.p.get();
}

}  // namespace fastnn
