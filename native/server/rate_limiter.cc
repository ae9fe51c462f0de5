#include "native/server/rate_limiter.h"

#include <algorithm>
#include <chrono>

namespace anomalens {

namespace {
// The bucket holds a second's worth, and at least one request.
double Capacity(double per_second) { return std::max(1.0, per_second); }
}  // namespace

RateLimiter::RateLimiter(double per_second) : per_second_(per_second), tokens_(Capacity(per_second)) {}

bool RateLimiter::Allow(double now) {
  if (per_second_ <= 0) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  if (last_ >= 0 && now > last_) tokens_ = std::min(Capacity(per_second_), tokens_ + (now - last_) * per_second_);
  last_ = std::max(last_, now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

double MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace anomalens
