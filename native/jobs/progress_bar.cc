#include "native/jobs/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace anomalens {

ProgressBar::ProgressBar(std::string label, size_t total, bool quiet)
    : label_(std::move(label)), total_(total), quiet_(quiet), tty_(::isatty(2)),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(size_t done, const std::string& stage) {
  if (quiet_ || total_ == 0) return;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::string name = stage.empty() ? label_ : label_ + " (" + stage + ")";
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / total_);
    std::fprintf(stderr, "\r%-34s [%-*s] %zu/%zu %.1fs", name.c_str(), kWidth, std::string(filled, '#').c_str(),
                 done, total_, seconds);
    std::fflush(stderr);
    return;
  }
  const int quarter = static_cast<int>(4 * done / total_);
  if (quarter != last_quarter_) {
    last_quarter_ = quarter;
    std::fprintf(stderr, "%s: %zu/%zu (%.1fs)\n", name.c_str(), done, total_, seconds);
  }
}

void ProgressBar::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!quiet_ && tty_ && total_ > 0) std::fprintf(stderr, "\n");
}

}  // namespace anomalens
