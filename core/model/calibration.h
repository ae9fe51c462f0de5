// Threshold and confidence: from image scores to Lookout's IsAnomalous and
// Confidence.
//
// Confidence is Lookout's "confidence in the IsAnomalous prediction", 0 to 1:
//
//     Confidence = sigmoid(|score - threshold| / tau),   tau = (threshold - median_normal) / 4
//
// where median_normal is the median held-out normal score. It is 0.5 at the
// threshold and rises the further the score is from it on either side; an
// image as far from the threshold as the typical normal image gets
// sigmoid(4) = 0.982.
#ifndef ANOMALENS_CORE_MODEL_CALIBRATION_H_
#define ANOMALENS_CORE_MODEL_CALIBRATION_H_

#include <vector>

#include "core/model/model.h"

namespace anomalens {

struct Calibration {
  double threshold = 0;
  double confidence_scale = 1;  // tau
  ThresholdRule rule = ThresholdRule::kF1Optimal;
  // The share of the held-out normal scores at or above the threshold: the
  // false-positive rate measured on the normal images calibration saw.
  double held_out_false_positive_rate = 0;
};

// Chooses the threshold: F1-optimal when there are anomaly scores, otherwise
// the rule aimed at `false_positive_rate` R (0 < R < 0.5) on normal images:
//
//     threshold = median + z(1 - R) x robust sd
//
// of the held-out normal scores, where z is the standard normal quantile and
// the robust sd is 1.4826 x the median absolute deviation (model.h). The
// median and MAD, not the mean and sd, so that one odd training photo far
// above the rest does not lift the threshold over real defects. Needs a
// normal score.
Calibration Calibrate(const std::vector<double>& normal_scores, const std::vector<double>& anomaly_scores,
                      double false_positive_rate = kDefaultFalsePositiveRate);

// The standard normal distribution's quantile: z with P(Z < z) = p, for
// 0 < p < 1 (Acklam's rational approximation, relative error below 1.2e-9,
// from IEEE arithmetic and the portable log: the same bits on every target).
double StandardNormalQuantile(double p);

// Returns Lookout's Confidence for `score` (see the formula above).
double Confidence(double score, double threshold, double confidence_scale);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_MODEL_CALIBRATION_H_
