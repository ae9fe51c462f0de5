// ParallelFor hooks that split a loop as a pool's threads might, on the
// calling thread, for tests that hold the core's results to the same bytes
// on any split (core/base/parallel.h).
#ifndef ANOMALENS_TESTS_THREAD_SPLITS_H_
#define ANOMALENS_TESTS_THREAD_SPLITS_H_

#include <cstddef>

#include "core/base/parallel.h"

namespace anomalens {

// Ranges of `length` indices (the first one shorter when `length` does not
// divide the count), run last to first.
inline ParallelFor RangesLastToFirst(size_t length) {
  return ParallelFor{[length](size_t count, const ParallelFor::Body& body) {
    for (size_t end = count; end > 0;) {
      const size_t begin = end > length ? end - length : 0;
      body(begin, end);
      end = begin;
    }
  }};
}

}  // namespace anomalens

#endif  // ANOMALENS_TESTS_THREAD_SPLITS_H_
