#include "core/model.h"

namespace anomalens {

const char* ThresholdRuleName(ThresholdRule rule) {
  switch (rule) {
    case ThresholdRule::kF1Optimal: return "f1-optimal";
    case ThresholdRule::kNormalMeanPlus3Sd: return "normal-mean-plus-3sd";
  }
  return "unknown";
}

}  // namespace anomalens
