// The native thread pool behind the core's ParallelFor hook.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
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

// Records which threads ran a loop's ranges.
std::vector<std::thread::id> ThreadsOf(const ParallelFor& parallel, size_t count) {
  std::mutex mutex;
  std::vector<std::thread::id> ids;
  parallel(count, [&](size_t, size_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // long enough for a worker to join in
    std::lock_guard<std::mutex> lock(mutex);
    ids.push_back(std::this_thread::get_id());
  });
  return ids;
}

bool AllOnThisThread(const std::vector<std::thread::id>& ids) {
  for (const std::thread::id& id : ids)
    if (id != std::this_thread::get_id()) return false;
  return !ids.empty();
}

TEST(ThreadPool, ALoopRunsOnTheCallerWhileAnotherCallerHoldsThePool) {
  auto pool = std::make_shared<const ThreadPool>(2);
  const ParallelFor parallel = ParallelOn(pool);
  ASSERT_TRUE(pool->TryAcquire());
  EXPECT_FALSE(pool->TryAcquire()) << "the pool was taken twice";
  EXPECT_TRUE(AllOnThisThread(ThreadsOf(parallel, 64)));  // no waiting for the holder either
  pool->Release();
  // The caller takes a worker's ranges that the worker has not started, so on
  // a busy machine a loop may end before the worker wakes: a few tries.
  bool worker_ran = false;
  for (int attempt = 0; attempt < 20 && !worker_ran; ++attempt) worker_ran = !AllOnThisThread(ThreadsOf(parallel, 64));
  EXPECT_TRUE(worker_ran) << "the free pool's workers took no range in 20 loops";
  EXPECT_TRUE(pool->TryAcquire()) << "a loop did not give the pool back";
  pool->Release();
}

TEST(ThreadPool, RunInlineHereKeepsLoopsOnTheCallingThread) {
  auto pool = std::make_shared<const ThreadPool>(2);
  const ParallelFor parallel = ParallelOn(pool);
  {
    RunInlineHere here;
    EXPECT_TRUE(RunInlineHere::Active());
    EXPECT_FALSE(pool->TryAcquire());
    EXPECT_TRUE(AllOnThisThread(ThreadsOf(parallel, 64)));
  }
  EXPECT_FALSE(RunInlineHere::Active());
  // Other threads are not affected by this one's scope.
  RunInlineHere here;
  bool other_active = true;
  std::thread([&] { other_active = RunInlineHere::Active(); }).join();
  EXPECT_FALSE(other_active);
}

TEST(ThreadPool, DefaultThreadCountIsWithinTheAvailableCores) {
  EXPECT_GE(AvailableCores(), 1);
  EXPECT_GE(IdleCores(), 1);
  EXPECT_LE(IdleCores(), AvailableCores());
}

}  // namespace
}  // namespace anomalens
