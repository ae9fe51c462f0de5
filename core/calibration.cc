#include "core/calibration.h"

#include <algorithm>
#include <cmath>

#include "core/metrics.h"
#include "core/portable_math.h"

namespace anomalens {
namespace {

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / v.size();
}

double StandardDeviation(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = Mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / (v.size() - 1));
}

}  // namespace

Calibration Calibrate(const std::vector<double>& normal_scores, const std::vector<double>& anomaly_scores) {
  Calibration c;
  const double mean_normal = Mean(normal_scores);
  if (!anomaly_scores.empty()) {
    std::vector<ScoredLabel> scored;
    for (double s : normal_scores) scored.push_back({s, false});
    for (double s : anomaly_scores) scored.push_back({s, true});
    c.threshold = F1OptimalThreshold(scored);
    c.rule = ThresholdRule::kF1Optimal;
  } else {
    c.threshold = mean_normal + 3.0 * StandardDeviation(normal_scores);
    c.rule = ThresholdRule::kNormalMeanPlus3Sd;
  }
  // A threshold at or below the normal mean (labelled anomalies that score
  // like normals) still needs a positive scale: fall back to 5% of the threshold.
  const double floor = std::max(std::abs(c.threshold) * 0.05, 1e-6);
  c.confidence_scale = std::max((c.threshold - mean_normal) / 4.0, floor);
  return c;
}

double Confidence(double score, double threshold, double confidence_scale) {
  return PortableSigmoid(std::abs(score - threshold) / confidence_scale);
}

}  // namespace anomalens
