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
};

// Chooses the threshold: F1-optimal when there are anomaly scores, otherwise
// the normal scores' median + 3 robust sd (model.h). Needs a normal score.
Calibration Calibrate(const std::vector<double>& normal_scores, const std::vector<double>& anomaly_scores);

// Returns Lookout's Confidence for `score` (see the formula above).
double Confidence(double score, double threshold, double confidence_scale);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_MODEL_CALIBRATION_H_
