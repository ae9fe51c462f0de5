#include "core/model.h"

namespace anomalens {

const char* ThresholdRuleName(ThresholdRule rule) {
  switch (rule) {
    case ThresholdRule::kF1Optimal: return "f1-optimal";
    case ThresholdRule::kNormalMedianPlus3RobustSd: return "normal-median-plus-3-robust-sd";
  }
  return "unknown";
}

}  // namespace anomalens
