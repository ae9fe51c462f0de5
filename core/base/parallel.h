// ParallelFor: the thread-pool hook a platform passes into the core. The core
// stays free of threads: it splits independent work into [begin, end) ranges
// and asks the hook to run them. Native hands in its thread pool; without a
// hook (the default, and in wasm) the loop runs in order on the calling
// thread. Each index is computed the same way whichever thread runs it, so
// results do not depend on the thread count.
#ifndef ANOMALENS_CORE_BASE_PARALLEL_H_
#define ANOMALENS_CORE_BASE_PARALLEL_H_

#include <cstddef>
#include <functional>

namespace anomalens {

struct ParallelFor {
  using Body = std::function<void(size_t begin, size_t end)>;
  // Runs body over ranges that cover [0, count) exactly once, and returns
  // when all have run. Empty: no pool.
  std::function<void(size_t count, const Body& body)> run;

  void operator()(size_t count, const Body& body) const {
    if (count == 0) return;
    if (run && count > 1) {
      run(count, body);
    } else {
      body(0, count);
    }
  }
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_PARALLEL_H_
