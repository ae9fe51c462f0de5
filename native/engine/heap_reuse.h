// KeepFreedMemoryForReuse: tells the C library's allocator to keep the
// memory a DetectAnomalies frees and hand it to the next one, instead of
// returning it to the kernel and faulting it back in, zeroed, page by page.
//
// Why: a detect allocates and frees planes of 0.1 to 2 MB (the decoded image,
// the working image, the backbone's input, the maps). glibc serves blocks
// that large from fresh mmaps, or trims them off the heap's top when freed,
// so every detect paid thousands of page faults and zero fills: ~12% of a
// cookie segmentation's time in a profile, more than its map building and
// refinement together.
// The resident size still peaks where it did; it just stays there between
// requests, as a server's would anyway.
#ifndef ANOMALENS_NATIVE_ENGINE_HEAP_REUSE_H_
#define ANOMALENS_NATIVE_ENGINE_HEAP_REUSE_H_

namespace anomalens {

// Once per process (later calls do nothing); nothing where the C library is
// not glibc.
void KeepFreedMemoryForReuse();

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_HEAP_REUSE_H_
