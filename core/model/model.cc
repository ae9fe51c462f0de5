#include "core/model/model.h"

namespace anomalens {

const char* ThresholdRuleName(ThresholdRule rule) {
  switch (rule) {
    case ThresholdRule::kF1Optimal: return "f1-optimal";
    case ThresholdRule::kNormalMedianPlus3RobustSd: return "normal-median-plus-3-robust-sd";
    case ThresholdRule::kNormalFalsePositiveRate: return "normal-false-positive-rate";
  }
  return "unknown";
}

const char* NormalModelKindName(NormalModelKind kind) {
  switch (kind) {
    case NormalModelKind::kAuto:
      return "auto";
    case NormalModelKind::kSharedBank:
      return "shared-bank";
    case NormalModelKind::kPerPosition:
      return "per-position";
  }
  return "unknown";
}

bool ParseNormalModelKind(const std::string& name, NormalModelKind* kind) {
  for (NormalModelKind k : {NormalModelKind::kAuto, NormalModelKind::kSharedBank, NormalModelKind::kPerPosition}) {
    if (name == NormalModelKindName(k)) {
      *kind = k;
      return true;
    }
  }
  return false;
}

}  // namespace anomalens
