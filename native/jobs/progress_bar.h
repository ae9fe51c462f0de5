// A one-line progress display on stderr for long work. On a terminal it
// redraws in place; otherwise (logs, CI) it prints a line at each 25%.
#ifndef ANOMALENS_NATIVE_JOBS_PROGRESS_BAR_H_
#define ANOMALENS_NATIVE_JOBS_PROGRESS_BAR_H_

#include <chrono>
#include <string>

namespace anomalens {

class ProgressBar {
 public:
  ProgressBar(std::string label, size_t total, bool quiet = false);
  ~ProgressBar();
  void Update(size_t done, const std::string& stage = "");
  // For work whose step count is known only once it starts.
  void SetTotal(size_t total) { total_ = total; }
  void Finish();

 private:
  std::string label_;
  size_t total_;
  bool quiet_, tty_, finished_ = false;
  int last_quarter_ = -1;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_JOBS_PROGRESS_BAR_H_
