// Pieces the anomalens subcommands share: loading images from files,
// detecting over a labelled set, and writing Lookout's evaluation outputs.
#ifndef ANOMALENS_NATIVE_CLI_COMMON_H_
#define ANOMALENS_NATIVE_CLI_COMMON_H_

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/image/image.h"
#include "core/lookout/class_mask.h"
#include "core/lookout/evaluation.h"
#include "core/lookout/manifest.h"
#include "core/model/detector.h"
#include "native/backend.h"

namespace anomalens {

// Reads and decodes an image file with Lookout's limits; errors name the file.
StatusOr<RgbImage> LoadImageFile(const std::string& path, const std::string& content_type = "");

// Current UTC time as 2026-11-26T10:31:02.123Z.
std::string NowIso8601();

// Reads an entry's mask file and reads it through its colour map into
// `classes`; errors name the manifest line and the mask file.
StatusOr<ClassMask> LoadClassMask(const ManifestEntry& entry, Size image_size,
                                  const std::vector<AnomalyClass>& classes);

// Reads a model file and loads the backbone it needs on the chosen engine.
StatusOr<std::unique_ptr<Detector>> LoadDetector(const std::string& model_path, const std::string& backbone_path,
                                                 const BackendOptions& backend = {});

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

int RunTrain(int argc, char** argv);
int RunDetect(int argc, char** argv);
int RunEvaluate(int argc, char** argv);
int RunSynth(int argc, char** argv);
int RunServe(int argc, char** argv);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_CLI_COMMON_H_
