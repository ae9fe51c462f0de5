// The native thread pool behind the core's ParallelFor hook.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "native/engine/thread_pool.h"

namespace anomalens {
namespace {

TEST(ThreadPool, ParallelOnCoversEveryIndexOnce) {
  for (int threads : {1, 2, 3}) {
    auto pool = std::make_shared<const ThreadPool>(threads);
    const ParallelFor parallel = ParallelOn(pool);
    EXPECT_EQ(static_cast<bool>(parallel.run), threads > 1);
    for (size_t count : {size_t{1}, size_t{7}, size_t{1000}}) {
      std::vector<std::atomic<int>> hits(count);
      parallel(count, [&hits](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) hits[i].fetch_add(1);
      });
      for (size_t i = 0; i < count; ++i) ASSERT_EQ(hits[i].load(), 1) << threads << " threads, index " << i;
    }
  }
}

TEST(ThreadPool, DefaultThreadCountIsWithinTheAvailableCores) {
  EXPECT_GE(AvailableCores(), 1);
  EXPECT_GE(IdleCores(), 1);
  EXPECT_LE(IdleCores(), AvailableCores());
}

}  // namespace
}  // namespace anomalens
