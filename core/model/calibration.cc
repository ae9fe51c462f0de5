#include "core/model/calibration.h"

#include <algorithm>
#include <cmath>

#include "core/base/portable_math.h"
#include "core/lookout/metrics.h"

namespace anomalens {
namespace {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// 1.4826 x the median absolute deviation: the standard deviation of a normal
// distribution, estimated without letting outliers pull it.
double RobustStandardDeviation(const std::vector<double>& v) {
  const double m = Median(v);
  std::vector<double> deviations;
  for (double x : v) deviations.push_back(std::abs(x - m));
  return 1.4826 * Median(deviations);
}

}  // namespace

Calibration Calibrate(const std::vector<double>& normal_scores, const std::vector<double>& anomaly_scores) {
  Calibration c;
  const double median_normal = Median(normal_scores);
  if (!anomaly_scores.empty()) {
    std::vector<ScoredLabel> scored;
    for (double s : normal_scores) scored.push_back({s, false});
    for (double s : anomaly_scores) scored.push_back({s, true});
    c.threshold = F1OptimalThreshold(scored);
    c.rule = ThresholdRule::kF1Optimal;
  } else {
    c.threshold = median_normal + 3.0 * RobustStandardDeviation(normal_scores);
    c.rule = ThresholdRule::kNormalMedianPlus3RobustSd;
  }
  // A threshold at or below the normal median (labelled anomalies that score
  // like normals) still needs a positive scale: fall back to 5% of the threshold.
  const double floor = std::max(std::abs(c.threshold) * 0.05, 1e-6);
  c.confidence_scale = std::max((c.threshold - median_normal) / 4.0, floor);
  return c;
}

double Confidence(double score, double threshold, double confidence_scale) {
  return PortableSigmoid(std::abs(score - threshold) / confidence_scale);
}

}  // namespace anomalens
