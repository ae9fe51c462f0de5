#include "native/engine/huge_pages.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

// Sanitizer runtimes replace operator new themselves (to track every block);
// ours would hide their checks, so those builds keep theirs.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ANOMALENS_SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define ANOMALENS_SANITIZER_BUILD 1
#endif
#endif

#if defined(__linux__) && defined(MADV_HUGEPAGE) && !defined(ANOMALENS_SANITIZER_BUILD)
#define ANOMALENS_HUGE_PAGE_ADVICE 1
#endif

namespace anomalens {
namespace {

std::atomic<bool> advise_large_blocks{false};

#if defined(ANOMALENS_HUGE_PAGE_ADVICE)
constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;

// The advice covers the block's whole huge pages only: the pages it shares
// with its neighbours keep their own advice.
void AdviseHugePages(void* block, std::size_t size) {
  const std::uintptr_t begin = (reinterpret_cast<std::uintptr_t>(block) + kHugePage - 1) & ~(kHugePage - 1);
  const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(block) + size) & ~(kHugePage - 1);
  // Advice only: where the kernel refuses it the block keeps small pages.
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

void* Allocate(std::size_t size) {
  if (size == 0) size = 1;
  for (;;) {
    if (void* block = std::malloc(size)) {
      if (size >= kHugePageAdviceMinBytes && advise_large_blocks.load(std::memory_order_relaxed))
        AdviseHugePages(block, size);
      return block;
    }
    // As the standard operator new: the new-handler may free memory, else bad_alloc.
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}
#endif

}  // namespace

void UseHugePagesForLargeBlocks() {
#if defined(ANOMALENS_HUGE_PAGE_ADVICE)
  advise_large_blocks.store(true, std::memory_order_relaxed);
#endif
}

bool HugePagesForLargeBlocksActive() { return advise_large_blocks.load(std::memory_order_relaxed); }

}  // namespace anomalens

#if defined(ANOMALENS_HUGE_PAGE_ADVICE)
// The replaceable global allocation functions ([new.delete]): blocks from
// malloc, as the C++ library's own, so its operator delete and ours agree.
void* operator new(std::size_t size) { return anomalens::Allocate(size); }
void* operator new[](std::size_t size) { return anomalens::Allocate(size); }
void operator delete(void* block) noexcept { std::free(block); }
void operator delete[](void* block) noexcept { std::free(block); }
void operator delete(void* block, std::size_t) noexcept { std::free(block); }
void operator delete[](void* block, std::size_t) noexcept { std::free(block); }
#endif
