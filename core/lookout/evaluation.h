// Evaluation: Lookout's model metrics from detections on labelled test
// images, and the EvaluationResult JSON Lookout wrote for each model.
//
//   {"Version":1,"EvaluationDetails":{...},"AggregatedEvaluationResults":{"Metrics":
//     {"ROCAUC":..,"AveragePrecision":..,"Precision":..,"Recall":..,"F1Score":..}}}
#ifndef ANOMALENS_CORE_LOOKOUT_EVALUATION_H_
#define ANOMALENS_CORE_LOOKOUT_EVALUATION_H_

#include <string>
#include <vector>

#include "core/lookout/class_pixel_metrics.h"
#include "core/lookout/detect_result.h"
#include "core/lookout/self_check_report.h"

namespace anomalens {

struct EvaluatedImage {
  bool truly_anomalous = false;
  DetectAnomalyResult result;
};

struct EvaluationMetrics {
  double roc_auc = 0;            // from the raw scores; NaN when a class is missing
  double average_precision = 0;  // from the raw scores
  double precision = 0;          // from IsAnomalous decisions
  double recall = 0;
  double f1 = 0;
  int test_images = 0;
  int test_anomalies = 0;
  int correct = 0;
  // Pixel-level metrics, when the test set has defect masks (pixel_metrics.h).
  bool has_pixel_metrics = false;
  double pixel_roc_auc = 0;
  double aupro = 0;  // per-region overlap up to FPR 0.3
  int images_with_masks = 0;
  // Segmentation models on a test set with masks: Lookout's per-label
  // metrics (class_pixel_metrics.h), one per model class.
  struct ClassMetrics {
    std::string class_name;
    ClassPixelMetrics metrics;
  };
  std::vector<ClassMetrics> class_metrics;
};

EvaluationMetrics Evaluate(const std::vector<EvaluatedImage>& images);

struct EvaluationDetails {
  std::string model_arn;
  std::string end_timestamp;  // ISO 8601; the caller has the clock
  int training_images = 0;
  // The model's self-check, when its training ran one: added as
  // "AnomalensSelfCheck" (synthetic defects stand in for labelled ones).
  const SelfCheckReport* self_check = nullptr;
};

// Renders Lookout's EvaluationResult document (metrics rounded to 6 decimals;
// an undefined metric is null). Segmentation models add Lookout's
// "PixelAnomalyClassMetrics" list to Metrics. Pixel metrics, which Lookout's classification
// models did not report, go in an extra top-level "AnomalensPixelMetrics"
// object, present only when the test set had masks; the self-check, when
// given, in "AnomalensSelfCheck".
std::string EvaluationResultJson(const EvaluationMetrics& metrics, const EvaluationDetails& details);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_LOOKOUT_EVALUATION_H_
