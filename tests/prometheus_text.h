// A reader of Prometheus' text exposition format (0.0.4) for the tests: it
// parses what `GET /metrics` writes back into samples, and rejects what
// Prometheus would (a sample before its TYPE, a malformed label, a bad
// number), so the tests check the format, not our own writer's habits.
#ifndef ANOMALENS_TESTS_PROMETHEUS_TEXT_H_
#define ANOMALENS_TESTS_PROMETHEUS_TEXT_H_

#include <map>
#include <string>
#include <vector>

namespace anomalens::testing {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromFamily {
  std::string type;  // counter, gauge, histogram
  std::string help;
};

struct PromText {
  std::map<std::string, PromFamily> families;
  std::vector<PromSample> samples;
  // The value of the one sample with this name and these labels; NaN when none.
  double Value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const;
};

// Parses `text`; on a malformed line returns false and says why in `error`.
bool ParsePromText(const std::string& text, PromText* out, std::string* error);

}  // namespace anomalens::testing

#endif  // ANOMALENS_TESTS_PROMETHEUS_TEXT_H_
