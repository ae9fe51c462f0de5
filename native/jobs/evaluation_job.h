// Evaluation as `anomalens train`, `anomalens evaluate` and the server's
// CreateModel run it: detect every labelled entry, compute Lookout's metrics,
// and write its EvaluationResult JSON and evaluation manifest.
#ifndef ANOMALENS_NATIVE_JOBS_EVALUATION_JOB_H_
#define ANOMALENS_NATIVE_JOBS_EVALUATION_JOB_H_

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/lookout/evaluation.h"
#include "core/lookout/manifest.h"
#include "core/model/detector.h"

namespace anomalens {

// Current UTC time as 2026-11-26T10:31:02.123Z (an evaluation's end timestamp).
std::string NowIso8601();

// Detects every entry and evaluates: image metrics always, pixel metrics
// (PixelROCAUC, AUPRO) when anomalous entries have masks.
struct EvaluationRun {
  std::vector<EvaluatedImage> images;
  EvaluationMetrics metrics;
};
StatusOr<EvaluationRun> EvaluateEntries(const Detector& detector, const std::vector<ManifestEntry>& entries,
                                        bool quiet);

// Writes --output/--evaluation JSON and --evaluation-manifest lines when
// their paths are non-empty, and prints a one-line summary to stderr.
Status WriteEvaluation(const EvaluationMetrics& metrics, const EvaluationDetails& details,
                       const std::vector<ManifestEntry>& entries, const std::vector<EvaluatedImage>& images,
                       const std::string& json_path, const std::string& manifest_path, bool quiet);

// Prints the metrics as one line for people.
void PrintMetricsSummary(const EvaluationMetrics& metrics);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_JOBS_EVALUATION_JOB_H_
