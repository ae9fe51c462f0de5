#include "native/cli_common.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "core/image_decode.h"
#include "native/backbone_loader.h"
#include "native/file_io.h"
#include "native/progress_bar.h"

namespace anomalens {

StatusOr<RgbImage> LoadImageFile(const std::string& path, const std::string& content_type) {
  // Read a little past Lookout's 8 MB so the decoder's own limit message applies.
  const size_t cap = ImageLimits{}.max_bytes + 1;
  auto bytes = ReadFile(path, cap);
  if (!bytes.ok()) return bytes.status();
  auto image = DecodeImage(*bytes, content_type);
  if (!image.ok()) return Status(image.status().code(), path + ": " + image.status().message());
  return image;
}

std::string NowIso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

StatusOr<std::unique_ptr<Detector>> LoadDetector(const std::string& model_path, const std::string& backbone_path) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFile(model_path, size_t{1} << 31));
  ASSIGN_OR_RETURN(std::shared_ptr<const MobileNetV2> backbone, LoadBackbone(backbone_path));
  auto detector = Detector::Create(bytes, backbone);
  if (!detector.ok()) return Status(detector.status().code(), model_path + ": " + detector.status().message());
  return detector;
}

StatusOr<std::vector<EvaluatedImage>> DetectEntries(const Detector& detector,
                                                    const std::vector<ManifestEntry>& entries, bool quiet) {
  std::vector<EvaluatedImage> out;
  ProgressBar bar("evaluate", entries.size(), quiet);
  for (size_t i = 0; i < entries.size(); ++i) {
    ASSIGN_OR_RETURN(RgbImage image, LoadImageFile(entries[i].source_ref));
    auto result = detector.DetectImage(image);
    if (!result.ok()) return Status(result.status().code(), entries[i].source_ref + ": " + result.status().message());
    out.push_back({entries[i].label == ImageLabel::kAnomaly, *result});
    bar.Update(i + 1);
  }
  return out;
}

void PrintMetricsSummary(const EvaluationMetrics& m) {
  std::fprintf(stderr,
               "evaluation: %d test images (%d anomalous), %d correct: ROCAUC %.4f, AP %.4f, precision %.4f, "
               "recall %.4f, F1 %.4f\n",
               m.test_images, m.test_anomalies, m.correct, m.roc_auc, m.average_precision, m.precision, m.recall,
               m.f1);
}

Status WriteEvaluation(const EvaluationMetrics& metrics, const EvaluationDetails& details,
                       const std::vector<ManifestEntry>& entries, const std::vector<EvaluatedImage>& images,
                       const std::string& json_path, const std::string& manifest_path, bool quiet) {
  if (!json_path.empty()) {
    RETURN_IF_ERROR(WriteFileAtomic(json_path, EvaluationResultJson(metrics, details) + "\n"));
  }
  if (!manifest_path.empty()) {
    std::string lines;
    for (size_t i = 0; i < entries.size(); ++i) {
      DetectedLabel detected;
      detected.is_anomalous = images[i].result.is_anomalous;
      detected.confidence = images[i].result.confidence;
      detected.creation_date = details.end_timestamp;
      detected.model_arn = details.model_arn;
      lines += EvaluationManifestLine(entries[i], detected) + "\n";
    }
    RETURN_IF_ERROR(WriteFileAtomic(manifest_path, lines));
  }
  if (!quiet) PrintMetricsSummary(metrics);
  return Status::Ok();
}

}  // namespace anomalens
