// The server's request rate limit (`serve --max-requests-per-second N`): a
// token bucket refilled at N a second that holds at most max(N, 1), so a burst
// of up to one second's worth passes and a steady rate above N is refused. Refused
// requests get Lookout's ThrottlingException (429), which AWS clients retry
// with backoff.
//
//   RateLimiter limiter(20);
//   if (!limiter.Allow(MonotonicSeconds())) throw ApiError::Throttling(...);
#ifndef ANOMALENS_NATIVE_SERVER_RATE_LIMITER_H_
#define ANOMALENS_NATIVE_SERVER_RATE_LIMITER_H_

#include <mutex>

namespace anomalens {

class RateLimiter {
 public:
  // `per_second` <= 0: no limit.
  explicit RateLimiter(double per_second);
  // True when a request arriving at `now` (seconds on a monotonic clock) may
  // run; takes one token.
  bool Allow(double now);
  double per_second() const { return per_second_; }

 private:
  const double per_second_;
  std::mutex mutex_;
  double tokens_;
  double last_ = -1;
};

// Seconds on the steady clock.
double MonotonicSeconds();

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_RATE_LIMITER_H_
