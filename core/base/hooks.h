// Platform hooks passed into long-running core work: progress reports and
// cancellation. The core calls them; native/ draws a progress bar, the
// browser posts a message. Both are optional.
#ifndef ANOMALENS_CORE_BASE_HOOKS_H_
#define ANOMALENS_CORE_BASE_HOOKS_H_

#include <cstddef>
#include <functional>
#include <string_view>

namespace anomalens {

struct Hooks {
  // Called as work advances: a stage name ("features", "calibration", "coreset"), done of total.
  std::function<void(std::string_view stage, size_t done, size_t total)> progress;
  // Polled between steps; returning true stops the work with kCancelled.
  std::function<bool()> cancelled;

  void Report(std::string_view stage, size_t done, size_t total) const {
    if (progress) progress(stage, done, total);
  }
  bool Cancelled() const { return cancelled && cancelled(); }
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_HOOKS_H_
