#include "native/engine/compute_slots.h"

#include <algorithm>
#include <utility>

namespace anomalens {

ComputeSlots::ComputeSlots(int cores, int pool_threads, bool pin_to_cpus)
    : cores_(std::max(1, cores)),
      pool_share_(std::clamp(pool_threads, 1, cores_)),
      busy_(static_cast<size_t>(cores_), false),
      free_(cores_) {
  const std::vector<int> cpus = pin_to_cpus ? AllowedCpus() : std::vector<int>();
  if (cores_ > 1 && cpus.size() == static_cast<size_t>(cores_)) slot_cpu_ = cpus;
}

ComputeSlots::Grant::Grant(ComputeSlots& owner, std::vector<int> taken, int cpu)
    : owner_(owner), taken_(std::move(taken)), cpu_(cpu) {
  // Only a request holding the pool's share may use the pool; the others
  // share the cores with it.
  if (slots() < owner_.pool_share_ || owner_.pool_share_ == 1) inline_ = std::make_unique<RunInlineHere>();
  if (cpu_ >= 0) pin_ = std::make_unique<PinnedToCpu>(cpu_);
}

ComputeSlots::Grant::~Grant() {
  pin_.reset();
  inline_.reset();
  owner_.Give(taken_);
}

std::unique_ptr<ComputeSlots::Grant> ComputeSlots::Acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t ticket = next_ticket_++;
  changed_.wait(lock, [&] { return ticket == serving_ && free_ > 0; });
  ++serving_;
  // Alone (every slot free, nobody behind): the pool's share. Otherwise one.
  const int slots = free_ == cores_ && serving_ == next_ticket_ ? pool_share_ : 1;
  std::vector<int> taken;
  for (int i = 0; i < cores_ && static_cast<int>(taken.size()) < slots; ++i) {
    if (busy_[i]) continue;
    busy_[i] = true;
    taken.push_back(i);
  }
  free_ -= slots;
  // One slot: its CPU. The pool's share: wherever the scheduler puts it.
  const int cpu = slots == 1 && !slot_cpu_.empty() ? slot_cpu_[taken[0]] : -1;
  lock.unlock();
  changed_.notify_all();  // the next in line may take a slot still free
  return std::unique_ptr<Grant>(new Grant(*this, std::move(taken), cpu));
}

void ComputeSlots::Give(const std::vector<int>& taken) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const int i : taken) busy_[i] = false;
    free_ += static_cast<int>(taken.size());
  }
  changed_.notify_all();
}

int ComputeSlots::waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(next_ticket_ - serving_);
}

}  // namespace anomalens
