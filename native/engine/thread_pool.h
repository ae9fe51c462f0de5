// ThreadPool: the native build's worker threads (a pthreadpool, which XNNPACK
// runs its operators on too), and the core's ParallelFor hook on top of it.
//
// One pool per process, shared by every caller, and never waited for: a
// caller takes the whole pool when it is free (TryAcquire) and otherwise runs
// its loop on its own thread. So concurrent callers (the server's HTTP
// workers, a training job beside them) never queue behind each other's
// parallel loops, and no caller's loop waits on workers busy with another's.
#ifndef ANOMALENS_NATIVE_ENGINE_THREAD_POOL_H_
#define ANOMALENS_NATIVE_ENGINE_THREAD_POOL_H_

#include <pthreadpool.h>

#include <atomic>
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

  // Takes the pool for one parallel loop or one backbone run: true when it
  // was free (then Release it), false when another caller has it, when there
  // is no pool, and on a thread inside a RunInlineHere scope. Never blocks;
  // a nested attempt by the holder fails instead of deadlocking.
  bool TryAcquire() const;
  void Release() const;

 private:
  int threads_;
  pthreadpool_t pool_ = nullptr;
  mutable std::atomic<bool> busy_{false};
};

// While one lives, the calling thread's parallel loops and backbone runs stay
// on that thread, whether the pool is free or not. The server's compute
// slots (compute_slots.h) set it on a request that shares the cores with
// others: pool workers would only compete with those requests for the cores.
class RunInlineHere {
 public:
  RunInlineHere();
  ~RunInlineHere();
  RunInlineHere(const RunInlineHere&) = delete;
  RunInlineHere& operator=(const RunInlineHere&) = delete;
  static bool Active();
};

// The core's hook on `pool`, keeping the pool alive. Empty with one thread.
// A loop runs on every pool thread when the pool is free (TryAcquire), else
// on the caller alone. Workers sleep as soon as a loop ends instead of
// spinning for the next, so they take no core from requests running inline.
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
