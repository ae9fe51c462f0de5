// How many folds the trainer holds its normal images out by: the held-out
// scores that set the threshold and grade the self-check.
//
// With normal images only, the threshold rule (calibration.h) reads the
// held-out normal scores as a sample of what new normal images score against
// the final model, fitted on all n images. A fold model fitted on n (K - 1) / K
// of them is further from the data than the final model (a Gaussian is
// wider, a memory bank thinner), so its held-out scores run high and the
// threshold with them: on the dev scenes (seeds 2 and 3, docs/model.md
// "Threshold") the shared bank's held-out normals scored medians 0.1 to 0.7
// above fresh normals' with 5 folds (granular, circuit, tiny-defects). So
// the final model of a normal-only training holds out as few
// images at a time as PositionCalibrationFolds asks of the per-position
// Gaussians (leave one out up to 32 images, 6 folds at 200, the configured
// folds from 250). With labelled anomalies the threshold is the F1-optimal
// one between held-out normals and anomalies scored by the same fold models,
// which share the bias; those keep the configured folds, and so do the
// configuration search's trials, which rank candidates against each other
// (trainer.cc).
#ifndef ANOMALENS_CORE_MODEL_HELD_OUT_FOLDS_H_
#define ANOMALENS_CORE_MODEL_HELD_OUT_FOLDS_H_

#include <algorithm>

#include "core/scoring/position_model.h"

namespace anomalens {

// `configured_folds` is ModelConfig::calibration_folds (2 to 100); the result
// is at most `normal_images` (each fold holds at least one image).
inline int HeldOutFolds(int normal_images, int configured_folds, bool labelled_anomalies) {
  const int folds = std::min(configured_folds, normal_images);
  return labelled_anomalies ? folds : PositionCalibrationFolds(normal_images, folds);
}

}  // namespace anomalens

#endif  // ANOMALENS_CORE_MODEL_HELD_OUT_FOLDS_H_
