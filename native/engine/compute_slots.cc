#include "native/engine/compute_slots.h"

#include <algorithm>

namespace anomalens {

ComputeSlots::ComputeSlots(int cores, int pool_threads)
    : cores_(std::max(1, cores)), pool_share_(std::clamp(pool_threads, 1, cores_)), free_(cores_) {}

ComputeSlots::Grant::Grant(ComputeSlots& owner, int slots) : owner_(owner), slots_(slots) {
  // Only a request holding the pool's share may use the pool; the others
  // share the cores with it.
  if (slots_ < owner_.pool_share_ || owner_.pool_share_ == 1) inline_ = std::make_unique<RunInlineHere>();
}

ComputeSlots::Grant::~Grant() {
  inline_.reset();
  owner_.Give(slots_);
}

std::unique_ptr<ComputeSlots::Grant> ComputeSlots::Acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t ticket = next_ticket_++;
  changed_.wait(lock, [&] { return ticket == serving_ && free_ > 0; });
  ++serving_;
  // Alone (every slot free, nobody behind): the pool's share. Otherwise one.
  const int slots = free_ == cores_ && serving_ == next_ticket_ ? pool_share_ : 1;
  free_ -= slots;
  lock.unlock();
  changed_.notify_all();  // the next in line may take a slot still free
  return std::unique_ptr<Grant>(new Grant(*this, slots));
}

void ComputeSlots::Give(int slots) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    free_ += slots;
  }
  changed_.notify_all();
}

int ComputeSlots::waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(next_ticket_ - serving_);
}

}  // namespace anomalens
