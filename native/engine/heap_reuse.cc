#include "native/engine/heap_reuse.h"

#include <cstddef>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace anomalens {
namespace {

// Blocks below this come from the heap and are reused; above it (a 4096 px
// square image's decode is 48 MB) mmap as before, so one huge request does
// not leave the heap that large.
constexpr int kMmapThreshold = 32 << 20;
// Free memory the heap keeps at its top before giving it back.
constexpr int kTrimThreshold = 128 << 20;

}  // namespace

void KeepFreedMemoryForReuse() {
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
    mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
#endif
  });
}

}  // namespace anomalens
