// ComputeSlots: how `anomalens serve` shares the machine's cores between
// the requests that compute (DetectAnomalies), so every core stays busy and
// none is fought over.
//
// One slot per core. A request takes a slot before it computes and waits,
// first come first served, while none is free; so at most one request a core
// computes at once, each on its HTTP worker's thread, and the others wait
// their turn instead of time-slicing the cores (16 requests on 2 cores each
// ran at an eighth of a core before, and each evicted the others' model and
// buffers from the caches). A request that finds every slot free and nobody
// waiting takes the pool's share (ThreadPool, `pool_threads` slots) and runs
// its loops and backbone on the pool: one request alone gets every core.
// Any other runs inline (RunInlineHere), so pool workers never compete with
// requests for cores.
//
// With `pin_to_cpus` and one slot for each CPU the process may run on, a
// request on one slot also runs on that slot's own CPU while it computes
// (PinnedToCpu, cpu_pinning.h): two computing requests then never take turns
// on one CPU while the other idles. With fewer slots than CPUs (a container
// given part of a larger machine) nothing is pinned: which CPUs are free is
// the scheduler's to know.
//
// The wait is bounded by the HTTP workers (each serves one request at a time)
// and by --max-concurrent-detects, whose ThrottlingException is unchanged.
#ifndef ANOMALENS_NATIVE_ENGINE_COMPUTE_SLOTS_H_
#define ANOMALENS_NATIVE_ENGINE_COMPUTE_SLOTS_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "native/engine/cpu_pinning.h"
#include "native/engine/thread_pool.h"

namespace anomalens {

class ComputeSlots {
 public:
  // `cores` slots (at least 1); a lone request takes min(pool_threads, cores).
  // `pin_to_cpus`: slot i is tied to the i-th CPU the process may run on,
  // when there are `cores` of them and more than one.
  ComputeSlots(int cores, int pool_threads, bool pin_to_cpus = false);
  ComputeSlots(const ComputeSlots&) = delete;
  ComputeSlots& operator=(const ComputeSlots&) = delete;

  // Slots held by one request; given back when destroyed. While it lives on
  // a thread that holds one slot, that thread's work runs inline.
  class Grant {
   public:
    ~Grant();
    Grant(const Grant&) = delete;
    Grant& operator=(const Grant&) = delete;
    int slots() const { return static_cast<int>(taken_.size()); }
    // The CPU this request computes on; -1 when not pinned.
    int cpu() const { return pin_ && pin_->pinned() ? cpu_ : -1; }

   private:
    friend class ComputeSlots;
    Grant(ComputeSlots& owner, std::vector<int> taken, int cpu);
    ComputeSlots& owner_;
    const std::vector<int> taken_;  // the slots' indices
    const int cpu_;
    std::unique_ptr<RunInlineHere> inline_;
    std::unique_ptr<PinnedToCpu> pin_;
  };

  // Waits for a slot (first come, first served) and returns it; all of the
  // pool's share when the slots are idle and nobody else waits. The Grant
  // must be destroyed on the thread that acquired it.
  std::unique_ptr<Grant> Acquire();

  int cores() const { return cores_; }
  // Requests waiting for a slot now.
  int waiting() const;

 private:
  void Give(const std::vector<int>& taken);

  const int cores_;
  const int pool_share_;
  std::vector<int> slot_cpu_;  // slot i's CPU; empty when not pinning
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bool> busy_;  // per slot
  int free_;
  uint64_t next_ticket_ = 0;  // the ticket the next caller gets
  uint64_t serving_ = 0;      // the ticket whose turn it is
};

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_COMPUTE_SLOTS_H_
