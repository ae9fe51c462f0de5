// ThreadPool: the native build's worker threads (a pthreadpool, which XNNPACK
// runs its operators on too), and the core's ParallelFor hook on top of it.
#ifndef ANOMALENS_NATIVE_ENGINE_THREAD_POOL_H_
#define ANOMALENS_NATIVE_ENGINE_THREAD_POOL_H_

#include <pthreadpool.h>

#include <memory>

#include "core/base/parallel.h"

namespace anomalens {

class ThreadPool {
 public:
  // `threads` >= 1; with 1 there are no worker threads and work runs on the caller.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  // nullptr with one thread: XNNPACK then runs on the calling thread.
  pthreadpool_t get() const { return pool_; }
 private:
  int threads_;
  pthreadpool_t pool_ = nullptr;
};

// The core's hook on `pool`, keeping the pool alive. Empty with one thread.
// Concurrent callers (server workers) take turns: a pthreadpool runs one
// parallel loop at a time, each on every thread.
ParallelFor ParallelOn(std::shared_ptr<const ThreadPool> pool);

// The cores this process may use (at least 1).
int AvailableCores();

// The default thread count: the available cores not already busy, by the
// 1-minute load average (at least 1). A pool's parallel step waits for every
// worker, so a worker that shares its core with other work stalls each of
// XNNPACK's ~60 steps; on a busy machine fewer threads are faster.
int IdleCores();

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_THREAD_POOL_H_
