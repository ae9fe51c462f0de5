#include "native/engine/cpu_pinning.h"

namespace anomalens {

std::vector<int> AllowedCpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

PinnedToCpu::PinnedToCpu(int cpu) {
  CPU_ZERO(&saved_);
  // pid 0: the calling thread (Linux affinity is per thread).
  if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(saved_), &saved_) != 0) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  pinned_ = sched_setaffinity(0, sizeof(one), &one) == 0;
}

PinnedToCpu::~PinnedToCpu() {
  if (pinned_) (void)sched_setaffinity(0, sizeof(saved_), &saved_);
}

}  // namespace anomalens
