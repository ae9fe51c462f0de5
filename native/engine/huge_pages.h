// UseHugePagesForLargeBlocks: asks the kernel to back the process's large
// heap blocks (2 MiB and up) with transparent huge pages.
//
// Why: training holds gigabytes of patch features, written once into fresh
// blocks of several MiB (a 896x1184 working image's grid is 8.5 MiB). On
// 4 KiB pages each block costs thousands of page faults, and page faults
// are dear in a virtual machine: 9 - 11% of a cookie training's CPU in a
// profile. Debian's kernel gives huge pages only where a program asks
// (/sys/kernel/mm/transparent_hugepage/enabled is "madvise"), and glibc
// asks only when its glibc.malloc.hugetlb tunable is set in the
// environment before the process starts. So the native build asks itself:
// it replaces the global operator new (huge_pages.cc) with one that calls
// malloc as before and then madvise(MADV_HUGEPAGE) on the block's whole
// 2 MiB pages. Nothing changes in what is computed; small blocks, and
// anything not allocated by operator new (XNNPACK's buffers), are as before.
//
// Measured (cookies, `train --manifest manifests/train.manifest
// --ignore-masks --threads 2`, quiet machine): docs/model.md, "Threads".
#ifndef ANOMALENS_NATIVE_ENGINE_HUGE_PAGES_H_
#define ANOMALENS_NATIVE_ENGINE_HUGE_PAGES_H_

#include <cstddef>

namespace anomalens {

// Blocks of at least this many bytes get the advice.
constexpr std::size_t kHugePageAdviceMinBytes = std::size_t{2} << 20;

// From the first call on (once per process); a no-op where the kernel or
// the build has no transparent huge pages, and in sanitizer builds, whose
// runtimes own operator new.
void UseHugePagesForLargeBlocks();
// Whether the replacement operator new is in this build and switched on.
bool HugePagesForLargeBlocksActive();

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_HUGE_PAGES_H_
