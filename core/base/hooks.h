// Platform hooks passed into long-running core work: progress reports and
// cancellation. The core calls them; native/ draws a progress bar, the
// browser posts a message. Both are optional.
#ifndef ANOMALENS_CORE_BASE_HOOKS_H_
#define ANOMALENS_CORE_BASE_HOOKS_H_

#include <cstddef>
#include <functional>
#include <string_view>

#include "core/base/parallel.h"

namespace anomalens {

struct Hooks {
  // Called as work advances: a stage name ("features", "calibration", "coreset"), done of total.
  std::function<void(std::string_view stage, size_t done, size_t total)> progress;
  // Polled between steps; returning true stops the work with kCancelled.
  std::function<bool()> cancelled;
  // A monotonic clock in seconds, where the host has one: the core has no
  // clock of its own, and uses it only to report how long steps took.
  std::function<double()> clock;
  // The platform's thread pool, for work whose result does not depend on
  // how it is split (nearest-neighbour searches at training); empty: in order.
  ParallelFor parallel;

  void Report(std::string_view stage, size_t done, size_t total) const {
    if (progress) progress(stage, done, total);
  }
  bool Cancelled() const { return cancelled && cancelled(); }
  double Now() const { return clock ? clock() : 0; }
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_HOOKS_H_
