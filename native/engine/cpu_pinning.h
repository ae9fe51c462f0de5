// PinnedToCpu: keeps the calling thread on one CPU while it lives, then gives
// the thread back the CPUs it had.
//
// Why: the server computes one request a core (ComputeSlots). Left to the
// scheduler, two computing threads sometimes end up on the same CPU and take
// turns there, 4 ms each, while the other CPU idles until the load balancer
// moves one (`perf sched timehist` of `bench/server-load` at 16 clients: up
// to 9 ms at a time, 7% of both CPUs idle with six requests waiting). A slot
// pinned to its own CPU cannot share one with another slot.
#ifndef ANOMALENS_NATIVE_ENGINE_CPU_PINNING_H_
#define ANOMALENS_NATIVE_ENGINE_CPU_PINNING_H_

#include <sched.h>

#include <vector>

namespace anomalens {

// The CPUs this thread may run on, in increasing order.
std::vector<int> AllowedCpus();

class PinnedToCpu {
 public:
  explicit PinnedToCpu(int cpu);
  ~PinnedToCpu();
  PinnedToCpu(const PinnedToCpu&) = delete;
  PinnedToCpu& operator=(const PinnedToCpu&) = delete;

  // False where the kernel refused (the thread then runs where it did).
  bool pinned() const { return pinned_; }

 private:
  cpu_set_t saved_;
  bool pinned_ = false;
};

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_CPU_PINNING_H_
