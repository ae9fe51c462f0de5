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

double StandardNormalQuantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  auto tail = [&](double q) {  // q = sqrt(-2 ln(tail probability)); the lower tail's z
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  };
  if (p < kLow) return tail(std::sqrt(-2 * PortableLog(p)));
  if (p > 1 - kLow) return -tail(std::sqrt(-2 * PortableLog(1 - p)));
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

Calibration Calibrate(const std::vector<double>& normal_scores, const std::vector<double>& anomaly_scores,
                      double false_positive_rate) {
  Calibration c;
  const double median_normal = Median(normal_scores);
  if (!anomaly_scores.empty()) {
    std::vector<ScoredLabel> scored;
    for (double s : normal_scores) scored.push_back({s, false});
    for (double s : anomaly_scores) scored.push_back({s, true});
    c.threshold = F1OptimalThreshold(scored);
    c.rule = ThresholdRule::kF1Optimal;
  } else {
    const double z = StandardNormalQuantile(1 - false_positive_rate);
    c.threshold = median_normal + z * RobustStandardDeviation(normal_scores);
    c.rule = ThresholdRule::kNormalFalsePositiveRate;
  }
  size_t above = 0;
  for (double s : normal_scores) above += s >= c.threshold;
  c.held_out_false_positive_rate = normal_scores.empty() ? 0 : static_cast<double>(above) / normal_scores.size();
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
