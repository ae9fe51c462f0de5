#include "native/engine/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "native/engine/cpu_pinning.h"

namespace anomalens {
namespace {

// One loop as the pool's threads see it. pthreadpool hands the loop to its
// workers and waits for them with its own barriers, inside a library that
// ThreadSanitizer does not instrument; `published` and `finished` state the
// same hand-off in C++ atomics (release before the loop, acquire in each
// chunk; release after each chunk, acquire after the loop), so the TSan build
// checks the loops' bodies instead of reporting the hand-off as a race.
struct LoopContext {
  const ParallelFor::Body* body;
  size_t chunk;
  size_t count;
  std::atomic<bool> published{false};
  std::atomic<size_t> finished{0};
};

// How many RunInlineHere scopes the thread is in (a count, so scopes may end in any order).
thread_local int run_inline_here = 0;

void RunChunk(void* context, size_t index) {
  LoopContext& c = *static_cast<LoopContext*>(context);
  (void)c.published.load(std::memory_order_acquire);
  const size_t begin = index * c.chunk;
  (*c.body)(begin, std::min(c.count, begin + c.chunk));
  c.finished.fetch_add(1, std::memory_order_release);
}

}  // namespace

ThreadPool::ThreadPool(int threads) : threads_(std::max(1, threads)) {
  if (threads_ > 1) pool_ = pthreadpool_create(static_cast<size_t>(threads_));
  if (pool_ == nullptr) threads_ = 1;  // creation failed: run on the caller
}

ThreadPool::~ThreadPool() {
  if (pool_ != nullptr) pthreadpool_destroy(pool_);
}

bool ThreadPool::TryAcquire() const {
  if (pool_ == nullptr || run_inline_here > 0) return false;
  bool expected = false;
  return busy_.compare_exchange_strong(expected, true, std::memory_order_acquire);
}

void ThreadPool::Release() const { busy_.store(false, std::memory_order_release); }

RunInlineHere::RunInlineHere() { ++run_inline_here; }
RunInlineHere::~RunInlineHere() { --run_inline_here; }
bool RunInlineHere::Active() { return run_inline_here > 0; }

ParallelFor ParallelOn(std::shared_ptr<const ThreadPool> pool) {
  ParallelFor p;
  if (pool == nullptr || pool->get() == nullptr) return p;
  p.run = [pool](size_t count, const ParallelFor::Body& body) {
    if (!pool->TryAcquire()) {
      body(0, count);  // the pool is another caller's: this loop on this thread
      return;
    }
    // A few chunks a thread so an unlucky thread (a busy core) does not hold up the rest.
    const size_t chunks = std::min(count, static_cast<size_t>(pool->threads()) * 4);
    LoopContext context;
    context.body = &body;
    context.chunk = (count + chunks - 1) / chunks;
    context.count = count;
    const size_t used = (count + context.chunk - 1) / context.chunk;
    struct Held {
      const ThreadPool& pool;
      ~Held() { pool.Release(); }
    } held{*pool};
    context.published.store(true, std::memory_order_release);
    pthreadpool_parallelize_1d(pool->get(), RunChunk, &context, used, PTHREADPOOL_FLAG_YIELD_WORKERS);
    (void)context.finished.load(std::memory_order_acquire);  // every chunk ran: pthreadpool returned
  };
  return p;
}

int IdleCores() {
  const int cores = AvailableCores();
  double load = 0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = 0;
    std::fclose(f);
  }
  return std::clamp(cores - static_cast<int>(load + 0.5), 1, cores);
}

int AvailableCores() {
  const std::vector<int> cpus = AllowedCpus();
  if (!cpus.empty()) return static_cast<int>(cpus.size());
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace anomalens
