#include "native/jobs/evaluation_job.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include <algorithm>

#include "core/image/image_decode.h"
#include "core/image/label_mask.h"
#include "core/lookout/class_pixel_metrics.h"
#include "core/lookout/pixel_metrics.h"
#include "native/jobs/file_io.h"
#include "native/jobs/image_files.h"
#include "native/jobs/progress_bar.h"

namespace anomalens {

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

StatusOr<EvaluationRun> EvaluateEntries(const Detector& detector, const std::vector<ManifestEntry>& entries,
                                        bool quiet) {
  EvaluationRun run;
  // Pixel scores are binned up to 8x the threshold; higher ones share the top
  // bin, which only ties pixels that are all far above the decision.
  PixelMetricsAccumulator pixels(8.0 * std::max(detector.model().threshold, 1e-6));
  const SegmentationModel& seg = detector.model().segmentation;
  // The model's classes, then any the test masks add: a class the model
  // never learned still gets its (poor) metrics.
  std::vector<AnomalyClass> eval_classes = seg.classes;
  if (seg.enabled()) {
    ASSIGN_OR_RETURN(std::vector<AnomalyClass> test_classes, CollectAnomalyClasses(entries));
    for (const AnomalyClass& c : test_classes) {
      const bool known = std::any_of(eval_classes.begin(), eval_classes.end(),
                                     [&c](const AnomalyClass& k) { return k.name == c.name; });
      if (!known) eval_classes.push_back(c);
    }
  }
  ClassPixelMetricsAccumulator classes(eval_classes.size());
  int with_masks = 0, anomalous_with_masks = 0;
  ProgressBar bar("evaluate", entries.size(), quiet);
  for (size_t i = 0; i < entries.size(); ++i) {
    const ManifestEntry& e = entries[i];
    // The detector's decoder: on the native default, libjpeg-turbo (stb's pixels).
    ASSIGN_OR_RETURN(DecodedImage image, LoadImageFileFor(detector, e.image_path));
    auto analysis = detector.Analyze(image);
    if (!analysis.ok()) return Status(analysis.status().code(), e.image_path + ": " + analysis.status().message());
    const bool anomalous = e.label == ImageLabel::kAnomaly;
    run.images.push_back({anomalous, analysis->result});
    // A normal image is all normal pixels; an anomalous one counts only with its mask.
    if (!anomalous || !e.mask_ref.empty()) {
      ClassMask truth{image.width, image.height, std::vector<uint8_t>(static_cast<size_t>(image.width) * image.height, 0)};
      if (anomalous) {
        if (seg.enabled()) {
          ASSIGN_OR_RETURN(truth, LoadClassMask(e, {image.width, image.height}, eval_classes));
        } else {
          // A classification model has no classes: any labelled colour is a defect.
          ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFile(e.mask_path, ImageLimits{}.max_bytes));
          auto decoded = DecodeImageRgba(bytes, "");
          if (!decoded.ok()) return Status(decoded.status().code(), e.mask_path + ": " + decoded.status().message());
          if (decoded->width != image.width || decoded->height != image.height) {
            return InvalidInput(e.mask_path + ": mask is " + std::to_string(decoded->width) + "x" +
                                std::to_string(decoded->height) + " but its image is " + std::to_string(image.width) +
                                "x" + std::to_string(image.height));
          }
          truth.labels = BinaryDefectMask(*decoded);
        }
        ++anomalous_with_masks;
      }
      std::vector<uint8_t> defect(truth.labels.size());
      for (size_t p = 0; p < defect.size(); ++p) defect[p] = truth.labels[p] != 0;
      const std::vector<float> map = analysis->map.ToOriginal();
      RETURN_IF_ERROR(pixels.AddImage(map.data(), defect.data(), image.width, image.height));
      if (seg.enabled()) {
        RETURN_IF_ERROR(classes.AddImage(analysis->segmentation.labels.data(), truth.labels.data(), truth.labels.size()));
      }
      ++with_masks;
    }
    bar.Update(i + 1);
  }
  run.metrics = Evaluate(run.images);
  if (anomalous_with_masks > 0) {
    run.metrics.has_pixel_metrics = true;
    run.metrics.pixel_roc_auc = pixels.PixelRocAuc();
    run.metrics.aupro = pixels.Aupro();
    run.metrics.images_with_masks = with_masks;
    if (seg.enabled()) {
      const std::vector<ClassPixelMetrics> per_class = classes.Results();
      for (size_t k = 0; k < per_class.size(); ++k) run.metrics.class_metrics.push_back({eval_classes[k].name, per_class[k]});
    }
  }
  return run;
}

void PrintMetricsSummary(const EvaluationMetrics& m) {
  if (m.test_anomalies == 0) {
    // Normal images only: there is no recall to measure, only how many
    // unseen normal images the threshold calls anomalous.
    const int false_positives = m.test_images - m.correct;
    std::fprintf(stderr,
                 "evaluation: %d test images, all normal (no anomalous ones, so no recall or F1): %d called anomalous, "
                 "a false-positive rate of %.1f%% on unseen normal images\n",
                 m.test_images, false_positives, m.test_images ? 100.0 * false_positives / m.test_images : 0.0);
    return;
  }
  std::fprintf(stderr,
               "evaluation: %d test images (%d anomalous), %d correct: ROCAUC %.4f, AP %.4f, precision %.4f, "
               "recall %.4f, F1 %.4f\n",
               m.test_images, m.test_anomalies, m.correct, m.roc_auc, m.average_precision, m.precision, m.recall,
               m.f1);
  if (m.has_pixel_metrics) {
    std::fprintf(stderr, "pixel metrics over %d images with masks: pixel ROCAUC %.4f, AUPRO %.4f\n",
                 m.images_with_masks, m.pixel_roc_auc, m.aupro);
  }
  for (const auto& c : m.class_metrics) {
    std::fprintf(stderr, "  class %s: precision %.4f, recall %.4f, F1 %.4f, AIOU %.4f (%d images)\n",
                 c.class_name.c_str(), c.metrics.precision, c.metrics.recall, c.metrics.f1, c.metrics.aiou,
                 c.metrics.images);
  }
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
